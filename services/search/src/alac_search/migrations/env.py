from alac_search.models import Base
from alac_kernel.migrations import run_env

run_env(Base.metadata)

from alac_kernel.migrations import run_env
from alac_search.models import Base

run_env(Base.metadata)

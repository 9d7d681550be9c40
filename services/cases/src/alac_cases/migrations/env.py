from alac_cases.case.models import Base
from alac_kernel.migrations import run_env

run_env(Base.metadata)

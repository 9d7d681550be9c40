from alac_intake.database import all_tables
from alac_kernel.migrations import run_env

run_env(all_tables())

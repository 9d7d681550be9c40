"""The statistical report: JSON, CSV and XLSX, from pre-aggregated counts."""

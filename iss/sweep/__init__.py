"""Design-space sweeps: many independent simulations of one spec, on Dask (`iss sweep`).

Modules, one job each:
  spec      read and check a sweep spec (TOML) into a list of points
  overrides apply a point's parameters to a platform description, write it back as TOML
  point     run one point (in a Dask worker, or in-process with --serial)
  cache     per-point result cache (key: firmware, platform, parameters, simulator)
  engine    schedule the points (serial, LocalCluster or an existing scheduler)
  results   rows, CSV / Parquet files, the summary table
  progress  the progress bar
  plot      one metric against one or two parameters (PNG)
  cli       the `iss sweep` subcommand
"""

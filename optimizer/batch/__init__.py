"""Many runs, unattended and resumable: the batch loop (:mod:`~optimizer.batch.runs`) and where
runs execute, local processes or a Dask cluster (:mod:`~optimizer.batch.executors`)."""

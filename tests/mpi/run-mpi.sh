#!/bin/sh
# Run a program on NP ranks of this machine: usage run-mpi.sh NP PROGRAM [ARGS...].
# With Open MPI: --allow-run-as-root (it refuses root otherwise; CI runs as root),
# --oversubscribe (more ranks than free cores is allowed), and the shared-memory and self
# transports only (--mca btl self,vader), so nothing goes over a network; a rank waiting in
# a collective yields its core (mpi_yield_when_idle: the ranks may share cores). MPICH's mpiexec
# needs none of these. $MPIRUN overrides the launcher.
set -eu
np=$1
shift
mpirun=${MPIRUN:-mpirun}
if "$mpirun" --version 2>/dev/null | grep -q "Open MPI"; then
    exec "$mpirun" --allow-run-as-root --oversubscribe --mca btl self,vader \
        --mca mpi_yield_when_idle 1 -np "$np" "$@"
fi
exec "$mpirun" -np "$np" "$@"

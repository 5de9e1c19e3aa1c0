#!/bin/bash
# The read replica (docker-compose.yml, postgres-replica): on first start a base backup of the
# primary that streams from it (-R writes primary_conninfo and standby.signal), then a hot
# standby answering read-only queries while it replays.
#
# hot_standby_feedback: the primary's vacuum keeps the rows a long export here still reads.
# max_standby_streaming_delay: replay waits this long for such a query before cancelling it
# (a recovery conflict); an export of a province takes minutes, the default is 30 s.
set -euo pipefail
data=/var/lib/postgresql/data
if [ ! -s "$data/PG_VERSION" ]; then
  until pg_basebackup --host=postgres --username=replicator --pgdata="$data" -R --wal-method=stream \
    --checkpoint=fast; do
    echo "waiting for the primary to accept a base backup" >&2
    rm -rf "${data:?}"/*
    sleep 2
  done
  chmod 0700 "$data"
fi
exec postgres -D "$data" -c hot_standby=on -c hot_standby_feedback=on -c max_standby_streaming_delay=10min

#!/bin/bash
set -e
cd "$(dirname "$0")/../.."
ROOT=$PWD
B=target/release  # cargo build --release -p api -p tests --bin sgh --bin gen-roster
$B/gen-roster 1200000 > /tmp/r12.csv
$B/gen-roster 1200000 --format gb18030 > /tmp/r12-gb.csv
$B/gen-roster 1000000 > /tmp/r10.csv
$B/gen-roster 1000000 --format xlsx > /tmp/r10.xlsx
ls -la /tmp/r12.csv /tmp/r12-gb.csv /tmp/r10.csv /tmp/r10.xlsx
for name in utf8_12 gb_12 utf8_10 xlsx_10; do
  psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS sgh_bench_$name" -c "CREATE DATABASE sgh_bench_$name" postgres
done
run() {
  local name=$1 file=$2
  echo "== $name"
  (cd "$(mktemp -d)" && SGH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sgh_bench_$name SGH_LOG=warn \
    /usr/bin/time -v $ROOT/$B/sgh import-roster $file 2>&1 | grep -E "^inserted|Elapsed|Maximum resident")
}
run utf8_12 /tmp/r12.csv
run gb_12 /tmp/r12-gb.csv
run utf8_10 /tmp/r10.csv
run xlsx_10 /tmp/r10.xlsx

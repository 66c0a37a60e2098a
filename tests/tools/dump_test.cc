// Tests of `strata dump`: being written (issue #9).

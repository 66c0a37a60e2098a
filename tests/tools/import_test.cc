// Tests of `strata import`: being written (issue #9).

// Tests of `strata export`: being written (issue #9).

// Tests of `strata compact`: being written (issue #9).

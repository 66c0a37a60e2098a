// Tests of `strata verify`: being written (issue #9).

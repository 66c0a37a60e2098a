// Tests of `strata inspect`: being written (issue #9).

"""PGO as a living artifact: read, diagnose, refresh and prove ``default.pgo``.

- ``facts``: what a profile file is (a CPU profile or not, samples, runtime
  share, busy cores, the Go version goperf recorded when it wrote it);
- ``placement``: where ``-pgo=auto`` looks, and profiles it never reads;
- ``program``: whether a profile is of this program at all (from the
  sources, before any build);
- ``symbols``: every function a built binary has, inlined ones included;
- ``decisions``: what the compiler changed because of the profile;
- ``diagnose``: the diagnostics, as warnings or the ``pgo`` gate's findings;
- ``change`` / ``metadata``: a refreshed profile, what moved, and its label;
- ``gain``: the measured PGO gain next to the comparison's sensitivity.
"""

"""The trace circuits: Groth16 statements of the node's own execution, per tier.

- :mod:`.statement`: the public inputs every tier's proof has, and the digests.
- :mod:`.micro`: one step; :mod:`.macro`: one transfer intent.
- :mod:`.inputs`: a trace's values for a circuit's inputs (the witness program's
  inputs) and the statement it proves.
"""

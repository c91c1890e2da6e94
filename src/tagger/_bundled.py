"""The sha256 of the bundled model's manifest.json, pinned in the package source.

The manifest holds the hash of every model file, so pinning it pins them all: replacing both a
model file and the manifest beside it is caught. ``tagger train`` into the source checkout's
models/default rewrites this file; nothing else should.
"""

MANIFEST_SHA256 = "52428b235e163986758b55a3cd6c45ddbcc71895717312e79005603905c75210"

"""The sha256 of the bundled model's manifest.json, pinned in the package source.

The manifest holds the hash of every model file, so pinning it pins them all: replacing both a
model file and the manifest beside it is caught. ``tagger train`` into the source checkout's
models/default rewrites this file; nothing else should.
"""

MANIFEST_SHA256 = "e10e4d478ec73d21659c1c1ca16927d8b7a980754eaf110f2848c54febe7c34e"

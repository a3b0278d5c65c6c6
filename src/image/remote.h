/* What a registry says about a reference without pulling it: the digest a tag stands for now
 * (burrow digest). Not for storing anything (pull.c) nor for the HTTP exchanges (registry.c). */
#pragma once

#include "image/digest.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "util/error.h"

/* The digest of the document ref names (by tag, or by digest, then checked), read with one
 * manifest request: no config, no layer. For an index that is the index's digest; with a
 * platform, the digest of the manifest the index lists for it (manifest_select's choice, the
 * one pull takes). A plain image manifest is its own answer whatever the platform, as pull
 * takes it. */
int remote_digest(const struct reference *ref, const struct platform *platform,
                  char digest[DIGEST_STRING_LEN + 1], struct error *err);

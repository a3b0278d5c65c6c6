/* Where burrow keeps things: data (containers), cache (images), runtime (running instances).
 * Each honours its BURROW_* variable, then XDG, then a default. */
#pragma once

/* The caller's home: $HOME when it is absolute and belongs to the caller, else the passwd
 * entry's (else $HOME); malloc'd, NULL when unknown. */
char *paths_home(void);

/* malloc'd absolute paths; NULL only on ENOMEM or when HOME is unknown. */
char *paths_data(void);    /* BURROW_DATA_PATH, else $XDG_DATA_HOME/burrow, else ~/.local/share/burrow */
char *paths_cache(void);   /* BURROW_CACHE_PATH, else $XDG_CACHE_HOME/burrow, else ~/.cache/burrow */
char *paths_runtime(void); /* BURROW_RUNTIME_PATH, else $XDG_RUNTIME_DIR/burrow, else /tmp/burrow-UID */

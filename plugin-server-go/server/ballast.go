package server

import (
	"os"
	"strconv"
)

// EnvGCBallast sets the size in MiB of the GC ballast (default defaultBallastMiB; 0 = none).
const EnvGCBallast = "GANTRY_PLUGIN_GC_BALLAST_MB"

const defaultBallastMiB = 8

// ballast is a pointer-free allocation that is never touched: it counts as live heap, so Go's
// GC (which starts a cycle when the heap has grown by GOGC% over the live heap, 4 MiB at the
// least) runs several times less often while the real live heap is small, as it is in a plugin
// server that allocates a few KiB per event and keeps little. Its pages are never written, so
// they cost address space, not resident memory; the garbage allowed between two collections
// grows by about its size. Its mark cost is nil (no pointers).
var ballast []byte

// setBallast allocates the ballast once, as EnvGCBallast says.
func setBallast() {
	mib := defaultBallastMiB
	if v := os.Getenv(EnvGCBallast); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1024 {
			logf("%s=%q: expected a number of MiB (0-1024); using %d", EnvGCBallast, v, defaultBallastMiB)
		} else {
			mib = n
		}
	}
	if mib > 0 && ballast == nil {
		ballast = make([]byte, mib<<20)
	}
}

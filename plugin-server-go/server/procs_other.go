//go:build !unix

package server

import "time"

// processCPU: not measured on this platform (the Ps are then left as the runtime chose).
func processCPU() (time.Duration, bool) { return 0, false }

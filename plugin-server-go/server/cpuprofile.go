package server

import (
	"os"
	"runtime/pprof"
)

// EnvCPUProfile names a file the server writes a CPU profile to, from start until it stops
// (a diagnostic for measuring the SDK; unset = no profiling).
const EnvCPUProfile = "GANTRY_PLUGIN_CPUPROFILE"

// startCPUProfile starts profiling if EnvCPUProfile is set; the returned func stops it.
func startCPUProfile() func() {
	path := os.Getenv(EnvCPUProfile)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		logf("%s: %v", EnvCPUProfile, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		logf("%s: %v", EnvCPUProfile, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

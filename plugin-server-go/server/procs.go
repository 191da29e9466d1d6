package server

// GOMAXPROCS that follows the load.
//
// With idle Ps, Go's scheduler wakes a second OS thread whenever a goroutine becomes runnable
// (so it can steal work); on a plugin server whose handlers take a few µs, that is a sleeping
// thread woken and put back to sleep for nearly every event batch. On the 2-vCPU dev VM that cost
// more than the handlers themselves: go-hello under load used ~5.5 µs of CPU per request with
// GOMAXPROCS=2 against ~3.5 µs with 1, and the gateway served ~20% more requests.
//
// So the server starts with one P and adds Ps only when it is busy: every procsInterval it
// compares the CPU time it used (getrusage) with the Ps it has; at procsGrowAt of them or more
// it doubles them (up to what the runtime chose at start, which respects CPU limits), and after
// procsShrinkAfter intervals in a row below procsShrinkAt it gives one back. A CPU-heavy plugin
// reaches the machine's cores within a few hundred milliseconds; a light one stays on one
// thread. A GOMAXPROCS set in the environment is the operator's choice and is left alone.

import (
	"os"
	"runtime"
	"time"
)

const (
	procsInterval    = 100 * time.Millisecond
	procsGrowAt      = 0.8 // busy cores per P at or above which the Ps double
	procsShrinkAt    = 0.4 // busy cores per P below which a P is given back...
	procsShrinkAfter = 10  // ...after this many intervals in a row
)

// procsPolicy decides the next number of Ps from the current one, the ceiling, the cores used
// over the last interval and how many intervals in a row were below procsShrinkAt (updated).
func procsPolicy(cur, ceiling int, busyCores float64, lowRuns *int) int {
	if busyCores >= procsGrowAt*float64(cur) {
		*lowRuns = 0
		return min(ceiling, 2*cur)
	}
	if busyCores >= procsShrinkAt*float64(cur) || cur <= 1 {
		*lowRuns = 0
		return cur
	}
	*lowRuns++
	if *lowRuns < procsShrinkAfter {
		return cur
	}
	*lowRuns = 0
	return cur - 1
}

// startProcs puts the runtime on one P and starts the controller; the returned func stops it.
// It does nothing if GOMAXPROCS is in the environment, the runtime has one P anyway, or this
// platform cannot measure the process's CPU time.
func startProcs() (stop func()) {
	ceiling := runtime.GOMAXPROCS(0)
	if _, set := os.LookupEnv("GOMAXPROCS"); set || ceiling <= 1 {
		return func() {}
	}
	cpu0, ok := processCPU()
	if !ok {
		return func() {}
	}
	runtime.GOMAXPROCS(1)
	done := make(chan struct{})
	t := time.NewTicker(procsInterval)
	go func() {
		defer t.Stop()
		cpu := func() time.Duration { d, _ := processCPU(); return d }
		runProcs(done, t.C, ceiling, time.Now(), cpu0, cpu, func(n int) { runtime.GOMAXPROCS(n) })
	}()
	return func() { close(done) }
}

// runProcs is the controller's loop: at each tick it measures the cores used since the last one
// (cpu is the process's CPU time so far) and calls set when the policy changes the Ps (from 1).
func runProcs(done <-chan struct{}, ticks <-chan time.Time, ceiling int, wall0 time.Time,
	cpu0 time.Duration, cpu func() time.Duration, set func(int)) {
	cur, low := 1, 0
	for {
		select {
		case <-done:
			return
		case now := <-ticks:
			c := cpu()
			if wall := now.Sub(wall0); wall > 0 {
				busy := float64(c-cpu0) / float64(wall)
				if next := procsPolicy(cur, ceiling, busy, &low); next != cur {
					cur = next
					set(cur)
				}
			}
			cpu0, wall0 = c, now
		}
	}
}

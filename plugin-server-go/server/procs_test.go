package server

import (
	"sync"
	"testing"
	"time"
)

func TestProcsPolicyGrowsWhenBusy(t *testing.T) {
	low := 0
	if got := procsPolicy(1, 8, 0.9, &low); got != 2 {
		t.Fatalf("1 P at 0.9 cores: got %d Ps, want 2", got)
	}
	if got := procsPolicy(4, 8, 3.5, &low); got != 8 {
		t.Fatalf("4 Ps at 3.5 cores: got %d, want 8", got)
	}
	if got := procsPolicy(8, 8, 8, &low); got != 8 {
		t.Fatalf("at the ceiling: got %d, want 8", got)
	}
	if got := procsPolicy(1, 8, 0.3, &low); got != 1 {
		t.Fatalf("1 P lightly loaded: got %d, want 1", got)
	}
}

func TestProcsPolicyShrinksOnlyAfterSustainedLowLoad(t *testing.T) {
	low := 0
	cur := 4
	for i := 1; i < procsShrinkAfter; i++ {
		if cur = procsPolicy(cur, 8, 0.5, &low); cur != 4 {
			t.Fatalf("interval %d: shrank early to %d", i, cur)
		}
	}
	// A busy interval in between restarts the count.
	if cur = procsPolicy(cur, 8, 2.0, &low); cur != 4 || low != 0 {
		t.Fatalf("moderate load: got %d Ps, low run %d; want 4, 0", cur, low)
	}
	for i := 0; i < procsShrinkAfter; i++ {
		cur = procsPolicy(cur, 8, 0.5, &low)
	}
	if cur != 3 {
		t.Fatalf("after %d low intervals: got %d Ps, want 3", procsShrinkAfter, cur)
	}
}

func TestProcessCPUAdvances(t *testing.T) {
	a, ok := processCPU()
	if !ok {
		t.Skip("process CPU time not measurable here")
	}
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i ^ (x >> 3)
	}
	b, _ := processCPU()
	if b <= a {
		t.Fatalf("CPU time did not advance after a busy loop (%v -> %v, %d)", a, b, x)
	}
}

// runProcs turns measured CPU time into Ps: a busy second grows them, a quiet stretch gives
// them back one at a time.
func TestRunProcsFollowsTheLoad(t *testing.T) {
	ticks := make(chan time.Time)
	done := make(chan struct{})
	sets := make(chan int, 16)
	var used time.Duration // CPU time reported by the fake clock
	var mu sync.Mutex
	cpu := func() time.Duration { mu.Lock(); defer mu.Unlock(); return used }
	t0 := time.Unix(1000, 0)
	go runProcs(done, ticks, 4, t0, 0, cpu, func(n int) { sets <- n })
	defer close(done)

	now := t0
	tick := func(cores float64) {
		mu.Lock()
		used += time.Duration(cores * float64(procsInterval))
		mu.Unlock()
		now = now.Add(procsInterval)
		ticks <- now
	}
	expect := func(want int) {
		t.Helper()
		select {
		case got := <-sets:
			if got != want {
				t.Fatalf("GOMAXPROCS set to %d, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("GOMAXPROCS never set to %d", want)
		}
	}
	tick(0.95) // one P nearly saturated
	expect(2)
	tick(1.9)
	expect(4)
	tick(3.9) // at the ceiling: no change
	for i := 0; i < procsShrinkAfter; i++ {
		tick(0.1)
	}
	expect(3)
	select {
	case n := <-sets:
		t.Fatalf("unexpected GOMAXPROCS change to %d", n)
	default:
	}
}

package server

// Sending replies: flat combining instead of a writer goroutine.
//
// gRPC allows one Send at a time on a stream. A goroutine that pushes a reply while no Send is in
// progress becomes the sender: it sends everything pending, then looks again, until the outbox
// is empty. Pushes that arrive meanwhile only append; the sender packs them into its next
// message (at most maxBatch replies per message, so the gateway can start decoding while the
// server keeps working). With one request in flight the reply goes out at once on the goroutine
// that produced it; no other goroutine (and so no sleeping OS thread) is woken for it.
//
// Before its first Send the sender yields once if calls of this stream are queued but not yet
// started (typically the rest of an EventBatch), so their replies join the same message. It never
// waits for handlers that are running: a slow handler delays only its own reply.

import (
	"runtime"
	"sync"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// maxBatch caps replies per ReplyBatch message.
const maxBatch = 128

// outbox is the stream's pending replies and the sender role.
type outbox struct {
	outMu   sync.Mutex
	out     []outItem
	spare   []outItem
	sending bool  // a goroutine holds the sender role
	broken  bool  // a Send failed or the stream failed: replies are dropped
	sendErr error // the failed Send's error
	sends   sync.WaitGroup
	batch   *pb.ReplyBatch // reused by the sender
}

// outItem is a reply and the pooled work to recycle once it is sent.
type outItem struct {
	reply *pb.Reply
	w     *work
}

// push queues a reply and, if no Send is in progress, sends it (and whatever else is pending)
// on the calling goroutine.
func (st *stream) push(r *pb.Reply, w *work) {
	st.outMu.Lock()
	if st.broken {
		st.outMu.Unlock()
		if w != nil {
			putWork(w)
		}
		return
	}
	st.out = append(st.out, outItem{r, w})
	if st.sending {
		st.outMu.Unlock()
		return
	}
	st.sending = true
	st.sends.Add(1)
	st.outMu.Unlock()
	if st.queued.Load() > 0 {
		// Calls that arrived with this one are runnable: let them push first.
		runtime.Gosched()
	}
	st.sendPending()
}

// sendPending sends until the outbox is empty, then gives up the sender role.
func (st *stream) sendPending() {
	defer st.sends.Done()
	for {
		st.outMu.Lock()
		if len(st.out) == 0 || st.broken {
			st.sending = false
			st.outMu.Unlock()
			return
		}
		items := st.out
		st.out, st.spare = st.spare, nil
		st.outMu.Unlock()

		err := st.sendItems(items)

		st.outMu.Lock()
		if st.spare == nil {
			st.spare = items[:0]
		}
		if err != nil {
			st.broken, st.sendErr = true, err
			st.dropPendingLocked()
			st.sending = false
			st.outMu.Unlock()
			st.cancelAll()
			return
		}
		st.outMu.Unlock()
	}
}

// sendItems sends items in messages of at most maxBatch replies and recycles their work.
func (st *stream) sendItems(items []outItem) error {
	b := st.batch
	var err error
	for i := 0; i < len(items) && err == nil; i += maxBatch {
		end := min(i+maxBatch, len(items))
		b.Replies = b.Replies[:0]
		for _, it := range items[i:end] {
			b.Replies = append(b.Replies, it.reply)
		}
		err = st.gs.Send(b)
	}
	clear(b.Replies)
	b.Replies = b.Replies[:0]
	for i, it := range items {
		if it.w != nil {
			putWork(it.w)
		}
		items[i] = outItem{}
	}
	return err
}

func (st *stream) dropPendingLocked() {
	for _, it := range st.out {
		if it.w != nil {
			putWork(it.w)
		}
	}
	st.out = nil
}

// breakOutbox drops pending replies, refuses new ones and waits for a Send in progress (error
// close: no Send may happen after the stream handler returned).
func (st *stream) breakOutbox() {
	st.outMu.Lock()
	st.broken = true
	st.dropPendingLocked()
	st.outMu.Unlock()
	st.sends.Wait()
}

// finish waits for a Send in progress after the last push (clean close) and reports a failed
// Send.
func (st *stream) finish() error {
	st.sends.Wait()
	st.outMu.Lock()
	defer st.outMu.Unlock()
	return st.sendErr
}

package server

import (
	"fmt"
	"log"
	"runtime/debug"
	"sync"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// work is the pooled state of one phase call: the event, the PDK over it and the reply
// messages, reused across calls so a phase costs few allocations.
type work struct {
	ev     rt.Event
	kong   pdk.PDK
	result *pb.PhaseResult
	reply  *pb.Reply
}

var workPool = sync.Pool{New: func() interface{} {
	w := &work{result: &pb.PhaseResult{}, reply: &pb.Reply{}}
	pdk.FillForEvent(&w.kong, &w.ev)
	w.reply.Kind = &pb.Reply_Result{Result: w.result}
	return w
}}

func getWork() *work { return workPool.Get().(*work) }

func putWork(w *work) {
	w.ev.Release()
	w.result.Mutations, w.result.Completed, w.result.Error = nil, 0, nil
	workPool.Put(w)
}

// runPhase runs pc's instances in order on the calling goroutine and fills w.result:
//   - each instance sees the earlier ones' mutations (applied to the snapshot as they happen);
//   - Exit stops the phase after the exiting instance (it counts as completed), except in the
//     log phase;
//   - a panic becomes PluginError KIND_HANDLER for that instance: its mutations other than log
//     lines are dropped and the phase stops (completed = its index);
//   - an unknown instance id becomes KIND_UNKNOWN_INSTANCE the same way;
//   - an instance without a handler for the phase counts as completed and does nothing.
func (s *Server) runPhase(w *work, pc *pb.PhaseCall) {
	res := w.result
	ev := &w.ev
	phase := pc.GetPhase()
	for _, id := range pc.InstanceIds {
		if ev.Context().Err() != nil {
			break // cancelled: the gateway ignores the reply anyway
		}
		inst := s.instances.get(id)
		if inst == nil {
			res.Error = &pb.PluginError{Kind: pb.PluginError_KIND_UNKNOWN_INSTANCE, InstanceId: id,
				Message: fmt.Sprintf("no plugin instance %d", id)}
			break
		}
		var h func(*pdk.PDK)
		if int(phase) < len(inst.handlers) && phase > 0 {
			h = inst.handlers[phase]
		}
		ev.BeginInstance(id)
		if h != nil {
			if msg, stack := safeCall(h, &w.kong); msg != "" {
				ev.DropInstanceMutations()
				res.Error = &pb.PluginError{Kind: pb.PluginError_KIND_HANDLER, InstanceId: id, Message: msg}
				if s.logPanics {
					log.Printf("[%s] instance %d: %s\n%s", inst.plugin.name, id, msg, stack)
				}
				break
			}
		}
		res.Completed++
		if ev.Exited() && phase != pb.Phase_PHASE_LOG {
			break
		}
	}
	res.Mutations = ev.Mutations()
}

// safeCall runs a handler and turns a panic into a message (the server lives on).
func safeCall(h func(*pdk.PDK), kong *pdk.PDK) (msg string, stack []byte) {
	defer func() {
		if r := recover(); r != nil {
			msg, stack = fmt.Sprintf("panic: %v", r), debug.Stack()
		}
	}()
	h(kong)
	return "", nil
}

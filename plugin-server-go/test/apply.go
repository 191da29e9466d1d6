package test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/client"
	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func headerOp(h http.Header, m *pb.HeaderMutation) {
	switch m.Action {
	case pb.HeaderAction_HEADER_ACTION_SET:
		h.Set(m.Name, m.Value)
	case pb.HeaderAction_HEADER_ACTION_ADD:
		h.Add(m.Name, m.Value)
	case pb.HeaderAction_HEADER_ACTION_CLEAR:
		h.Del(m.Name)
	}
}

func (e *TestEnv) editURL(f func(u *url.URL)) {
	u, err := url.Parse(e.ServiceReq.Url)
	if err != nil {
		e.t.Error(err)
		return
	}
	f(u)
	e.ServiceReq.Url = u.String()
}

// apply does what the gateway does with a phase's mutations.
func (e *TestEnv) apply(muts []*pb.Mutation) {
	for _, m := range muts {
		switch op := m.Op.(type) {
		case *pb.Mutation_RequestHeader:
			headerOp(e.ServiceReq.Headers, op.RequestHeader)
		case *pb.Mutation_RequestPath:
			e.editURL(func(u *url.URL) { u.Path, u.RawPath = op.RequestPath, "" })
		case *pb.Mutation_RequestRawQuery:
			e.editURL(func(u *url.URL) { u.RawQuery = op.RequestRawQuery })
		case *pb.Mutation_RequestScheme:
			e.editURL(func(u *url.URL) { u.Scheme = op.RequestScheme })
		case *pb.Mutation_RequestMethod:
			e.ServiceReq.Method = op.RequestMethod
		case *pb.Mutation_RequestBody:
			e.ServiceReq.Body = op.RequestBody
		case *pb.Mutation_Target:
			e.Target = op.Target.Host + ":" + itoa(int(op.Target.Port))
		case *pb.Mutation_Upstream:
			e.Upstream = op.Upstream
		case *pb.Mutation_ResponseHeader:
			headerOp(e.ClientRes.Headers, op.ResponseHeader)
		case *pb.Mutation_ResponseStatus:
			e.ClientRes.Status = int(op.ResponseStatus)
		case *pb.Mutation_ResponseBody:
			e.ClientRes.Body = op.ResponseBody
		case *pb.Mutation_Shared:
			if op.Shared.JsonValue == "" {
				delete(e.Ctx, op.Shared.Key)
				continue
			}
			var v interface{}
			if err := json.Unmarshal([]byte(op.Shared.JsonValue), &v); err != nil {
				e.t.Error(err)
			}
			e.Ctx[op.Shared.Key] = v
		case *pb.Mutation_Exit:
			e.ClientRes.Status = int(op.Exit.Status)
			if op.Exit.HasBody {
				e.ClientRes.Body = op.Exit.Body
			} else {
				e.ClientRes.Body = nil
			}
			for _, h := range op.Exit.Headers {
				e.ClientRes.Headers.Add(h.Name, h.Value)
			}
			e.state = finished
		case *pb.Mutation_Log:
			level := strings.ToLower(strings.TrimPrefix(op.Log.Level.String(), "LOG_LEVEL_"))
			e.Logs = append(e.Logs, level+": "+op.Log.Message)
			e.t.Logf("Log (%s): %s", level, op.Log.Message)
		case *pb.Mutation_Authenticate:
			if c := op.Authenticate.Consumer; c != nil {
				e.Consumer = &entities.Consumer{Id: c.Id, Username: c.Username, CustomId: c.CustomId, Tags: c.Tags}
			} else {
				e.Consumer = nil
			}
			e.Credential = nil
			if cr := op.Authenticate.Credential; cr != nil {
				e.Credential = &client.AuthenticatedCredential{Id: cr.Id, ConsumerId: cr.ConsumerId}
			}
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// DoCertificate is kept for go-pdk compatibility; Gantry has no certificate phase, so the
// handler is called without a request snapshot only if present (rarely useful).
func (e *TestEnv) DoCertificate(config interface{}) {
	if !e.IsRunning() {
		return
	}
	if h, ok := config.(interface{ Certificate(*pdk.PDK) }); ok {
		e.run(pb.Phase_PHASE_UNSPECIFIED, "Certificate", h.Certificate)
	}
}

// DoRewrite runs the plugin's Rewrite handler.
func (e *TestEnv) DoRewrite(config interface{}) {
	if !e.IsRunning() {
		return
	}
	if h, ok := config.(interface{ Rewrite(*pdk.PDK) }); ok {
		e.run(pb.Phase_PHASE_REWRITE, "Rewrite", h.Rewrite)
	}
}

// DoAccess runs the plugin's Access handler.
func (e *TestEnv) DoAccess(config interface{}) {
	if !e.IsRunning() {
		return
	}
	if h, ok := config.(interface{ Access(*pdk.PDK) }); ok {
		e.run(pb.Phase_PHASE_ACCESS, "Access", h.Access)
	}
}

// DoResponse merges the service response into the client response, then runs the plugin's
// Response handler.
func (e *TestEnv) DoResponse(config interface{}) {
	if !e.IsRunning() {
		return
	}
	e.ClientRes.merge(e.ServiceRes)
	if h, ok := config.(interface{ Response(*pdk.PDK) }); ok {
		e.run(pb.Phase_PHASE_RESPONSE, "Response", h.Response)
	}
}

// DoHeaderFilter runs the plugin's HeaderFilter handler (Gantry extension).
func (e *TestEnv) DoHeaderFilter(config interface{}) {
	if !e.IsRunning() {
		return
	}
	e.ClientRes.merge(e.ServiceRes)
	if h, ok := config.(interface{ HeaderFilter(*pdk.PDK) }); ok {
		e.run(pb.Phase_PHASE_HEADER_FILTER, "HeaderFilter", h.HeaderFilter)
	}
}

// DoPreread is kept for go-pdk compatibility (Gantry has no stream subsystem).
func (e *TestEnv) DoPreread(config interface{}) {
	if !e.IsRunning() {
		return
	}
	if h, ok := config.(interface{ Preread(*pdk.PDK) }); ok {
		e.run(pb.Phase_PHASE_UNSPECIFIED, "Preread", h.Preread)
	}
}

// DoLog runs the plugin's Log handler with the final response in the snapshot.
func (e *TestEnv) DoLog(config interface{}) {
	if !e.IsRunning() {
		return
	}
	if h, ok := config.(interface{ Log(*pdk.PDK) }); ok {
		e.run(pb.Phase_PHASE_LOG, "Log", h.Log)
	}
}

// DoHttp runs Rewrite, Access, an "echo" service, Response and Log.
func (e *TestEnv) DoHttp(config interface{}) {
	e.DoRewrite(config)
	e.DoAccess(config)
	e.ServiceRes = e.ServiceReq.ToResponse()
	e.DoResponse(config)
	e.DoLog(config)
}

// DoHttps is DoCertificate then DoHttp.
func (e *TestEnv) DoHttps(config interface{}) {
	e.DoCertificate(config)
	e.DoHttp(config)
}

// DoStream is DoPreread then DoLog.
func (e *TestEnv) DoStream(config interface{}) {
	e.DoPreread(config)
	e.DoLog(config)
}

// DoTLS is DoCertificate then DoStream.
func (e *TestEnv) DoTLS(config interface{}) {
	e.DoCertificate(config)
	e.DoStream(config)
}

package rt

import (
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Upstream request setters (kong.service.request.*, kong.service.*). Each appends a mutation and
// updates the snapshot so that later plugins of the phase see it, as in Kong: request headers,
// method and query change what kong.request.* returns; the upstream path does not
// (kong.request.get_path is the path as received).

// SvcReqHeaderOp is kong.service.request.set_header / add_header / clear_header.
func (e *Event) SvcReqHeaderOp(action pb.HeaderAction, k, v string) error {
	if err := e.check(); err != nil {
		return err
	}
	r := e.req()
	r.Headers = applyHeader(r.Headers, action, k, v)
	e.push(newReqHeaderMutation(action, k, v))
	return nil
}

// SetSvcReqHeaders is kong.service.request.set_headers.
func (e *Event) SetSvcReqHeaders(m map[string][]string) error {
	return e.setHeaders(m, e.SvcReqHeaderOp)
}

// SetSvcReq is kong.service.request.set_scheme / set_path / set_raw_query / set_method.
func (e *Event) SetSvcReq(what, v string) error {
	if err := e.check(); err != nil {
		return err
	}
	m := &pb.Mutation{}
	switch what {
	case "scheme":
		m.Op = &pb.Mutation_RequestScheme{RequestScheme: v}
	case "path":
		m.Op = &pb.Mutation_RequestPath{RequestPath: v}
	case "raw_query":
		e.req().RawQuery = v
		e.queryOK = false
		m.Op = &pb.Mutation_RequestRawQuery{RequestRawQuery: v}
	case "method":
		e.req().Method = v
		m.Op = &pb.Mutation_RequestMethod{RequestMethod: v}
	default:
		return nil
	}
	e.push(m)
	return nil
}

// SetSvcReqBody is kong.service.request.set_raw_body.
func (e *Event) SetSvcReqBody(body []byte) error {
	if err := e.check(); err != nil {
		return err
	}
	e.push(&pb.Mutation{Op: &pb.Mutation_RequestBody{RequestBody: body}})
	return nil
}

// SetTarget is kong.service.set_target.
func (e *Event) SetTarget(host string, port int) error {
	if err := e.check(); err != nil {
		return err
	}
	e.push(&pb.Mutation{Op: &pb.Mutation_Target{Target: &pb.Target{Host: host, Port: uint32(port)}}})
	return nil
}

// SetUpstream is kong.service.set_upstream.
func (e *Event) SetUpstream(name string) error {
	if err := e.check(); err != nil {
		return err
	}
	e.push(&pb.Mutation{Op: &pb.Mutation_Upstream{Upstream: name}})
	return nil
}

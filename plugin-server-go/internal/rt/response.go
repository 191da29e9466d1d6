package rt

import (
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Response to the client (kong.response.*) and response from the service (kong.service.response.*).

func (e *Event) resp() *pb.ResponseSnapshot {
	if e.call.Response == nil {
		e.call.Response = &pb.ResponseSnapshot{}
	}
	return e.call.Response
}

// RespStatus is kong.response.get_status.
func (e *Event) RespStatus() (int, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	return int(e.call.GetResponse().GetStatus()), nil
}

// RespHeader is kong.response.get_header.
func (e *Event) RespHeader(k string) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	v, _ := hdrGet(e.call.GetResponse().GetHeaders(), k)
	return v, nil
}

// RespHeaders is kong.response.get_headers.
func (e *Event) RespHeaders(max int) (map[string][]string, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return hdrMap(e.call.GetResponse().GetHeaders(), max), nil
}

// RespSource is kong.response.get_source.
func (e *Event) RespSource() (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	if s := e.call.GetResponse().GetSource(); s != "" {
		return s, nil
	}
	if e.exited {
		return "exit", nil
	}
	return "service", nil
}

// SetRespStatus is kong.response.set_status.
func (e *Event) SetRespStatus(status int) error {
	if err := e.check(); err != nil {
		return err
	}
	e.resp().Status = int32(status)
	e.push(&pb.Mutation{Op: &pb.Mutation_ResponseStatus{ResponseStatus: int32(status)}})
	return nil
}

// RespHeaderOp is kong.response.set_header / add_header / clear_header.
func (e *Event) RespHeaderOp(action pb.HeaderAction, k, v string) error {
	if err := e.check(); err != nil {
		return err
	}
	r := e.resp()
	r.Headers = applyHeader(r.Headers, action, k, v)
	e.push(newRespHeaderMutation(action, k, v))
	return nil
}

// SetRespHeaders is kong.response.set_headers: each name is set (replaced).
func (e *Event) SetRespHeaders(m map[string][]string) error {
	return e.setHeaders(m, e.RespHeaderOp)
}

// SetRespBody replaces the response body (Gantry extension; response phase).
func (e *Event) SetRespBody(body []byte) error {
	if err := e.check(); err != nil {
		return err
	}
	r := e.resp()
	r.Body, r.HasBody = body, true
	e.push(&pb.Mutation{Op: &pb.Mutation_ResponseBody{ResponseBody: body}})
	return nil
}

// Exit is kong.response.exit: ends the request; later PDK calls fail with ErrExited.
// hasBody false sends no body at all (ExitStatus).
func (e *Event) Exit(status int, body []byte, hasBody bool, headers map[string][]string) error {
	if err := e.check(); err != nil {
		return err
	}
	ex := &pb.Exit{Status: int32(status), Body: body, HasBody: hasBody, Headers: HeadersFromMap(headers)}
	e.push(&pb.Mutation{Op: &pb.Mutation_Exit{Exit: ex}})
	e.exited = true
	return nil
}

// SvcRespStatus is kong.service.response.get_status.
func (e *Event) SvcRespStatus() (int, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	return int(e.call.GetResponse().GetServiceStatus()), nil
}

// SvcRespHeader is kong.service.response.get_header.
func (e *Event) SvcRespHeader(k string) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	v, _ := hdrGet(e.call.GetResponse().GetServiceHeaders(), k)
	return v, nil
}

// SvcRespHeaders is kong.service.response.get_headers.
func (e *Event) SvcRespHeaders(max int) (map[string][]string, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return hdrMap(e.call.GetResponse().GetServiceHeaders(), max), nil
}

// SvcRespBody is kong.service.response.get_raw_body (response phase only).
func (e *Event) SvcRespBody() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	r := e.call.GetResponse()
	if !r.GetHasBody() {
		if e.Phase() != pb.Phase_PHASE_RESPONSE {
			return nil, ErrNotAvailable
		}
		return []byte{}, nil
	}
	return r.Body, nil
}

func applyHeader(hs []*pb.Header, action pb.HeaderAction, k, v string) []*pb.Header {
	switch action {
	case pb.HeaderAction_HEADER_ACTION_SET:
		return hdrSet(hs, k, v)
	case pb.HeaderAction_HEADER_ACTION_ADD:
		return hdrAdd(hs, k, v)
	case pb.HeaderAction_HEADER_ACTION_CLEAR:
		return hdrClear(hs, k)
	}
	return hs
}

func (e *Event) setHeaders(m map[string][]string, op func(pb.HeaderAction, string, string) error) error {
	if err := e.check(); err != nil {
		return err
	}
	for _, k := range sortedKeys(m) {
		vs := m[k]
		if len(vs) == 0 {
			if err := op(pb.HeaderAction_HEADER_ACTION_CLEAR, k, ""); err != nil {
				return err
			}
			continue
		}
		for i, v := range vs {
			a := pb.HeaderAction_HEADER_ACTION_ADD
			if i == 0 {
				a = pb.HeaderAction_HEADER_ACTION_SET
			}
			if err := op(a, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

package rt

import (
	"strconv"
	"strings"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Downstream request getters (kong.request.*): answered from the snapshot, no round trip.

func (e *Event) req() *pb.RequestSnapshot { return e.call.Request }

// ReqString returns one of the request's string facts by Kong method suffix.
func (e *Event) ReqString(what string) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	r := e.req()
	switch what {
	case "scheme":
		return r.Scheme, nil
	case "host":
		return r.Host, nil
	case "forwarded_scheme":
		if r.ForwardedScheme != "" {
			return r.ForwardedScheme, nil
		}
		return r.Scheme, nil
	case "forwarded_host":
		if r.ForwardedHost != "" {
			return r.ForwardedHost, nil
		}
		return r.Host, nil
	case "method":
		return r.Method, nil
	case "path":
		return r.Path, nil
	case "path_with_query":
		if r.RawQuery == "" {
			return r.Path, nil
		}
		return r.Path + "?" + r.RawQuery, nil
	case "raw_query":
		return r.RawQuery, nil
	case "request_id":
		return r.RequestId, nil
	}
	return "", nil
}

// ReqPort is kong.request.get_port (and get_forwarded_port: the snapshot has no separate field).
func (e *Event) ReqPort() (int, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	return int(e.req().Port), nil
}

// ReqHttpVersion is kong.request.get_http_version.
func (e *Event) ReqHttpVersion() (float64, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	v := e.req().HttpVersion
	if v == "" {
		return 1.1, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, nil
	}
	return f, nil
}

// ReqQueryArg is kong.request.get_query_arg: the first value, "" when missing or a flag.
func (e *Event) ReqQueryArg(k string) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	for _, a := range e.queryArgs() {
		if a.key == k {
			return a.value, nil
		}
	}
	return "", nil
}

// ReqQuery is kong.request.get_query (max <= 0 -> 100 args); flag args are dropped as go-pdk does.
func (e *Event) ReqQuery(max int) (map[string][]string, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if max <= 0 {
		max = 100
	}
	m := map[string][]string{}
	for i, a := range e.queryArgs() {
		if i >= max {
			break
		}
		if !a.flag {
			m[a.key] = append(m[a.key], a.value)
		}
	}
	return m, nil
}

// ReqHeader is kong.request.get_header: ("", nil) when missing.
func (e *Event) ReqHeader(k string) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	v, _ := hdrGet(e.req().Headers, k)
	return v, nil
}

// ReqHeaders is kong.request.get_headers.
func (e *Event) ReqHeaders(max int) (map[string][]string, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return hdrMap(e.req().Headers, max), nil
}

// ReqRawBody is kong.request.get_raw_body: the snapshot's body or one fetch (cached).
func (e *Event) ReqRawBody() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if r := e.req(); r.HasBody {
		return r.Body, nil
	}
	if e.bodyOK {
		return e.body, nil
	}
	res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_RequestBody{RequestBody: &pb.Empty{}}})
	if err != nil {
		return nil, err
	}
	if b, ok := res.Result.(*pb.FetchResult_RequestBody); ok {
		e.body = b.RequestBody
	}
	e.bodyOK = true
	return e.body, nil
}

// ReqUriCaptures is kong.request.get_uri_captures (one fetch, cached).
func (e *Event) ReqUriCaptures() ([][]byte, map[string][]byte, error) {
	if err := e.check(); err != nil {
		return nil, nil, err
	}
	if e.captures == nil {
		res, err := e.fetch(&pb.Fetch{What: &pb.Fetch_UriCaptures{UriCaptures: &pb.Empty{}}})
		if err != nil {
			return nil, nil, err
		}
		e.captures = res.GetUriCaptures()
		if e.captures == nil {
			e.captures = &pb.UriCaptures{}
		}
	}
	named := e.captures.Named
	if named == nil {
		named = map[string][]byte{}
	}
	return e.captures.Unnamed, named, nil
}

// ClientString is kong.client.get_ip / get_forwarded_ip / get_protocol.
func (e *Event) ClientString(what string, allowTerminated bool) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	r := e.req()
	switch what {
	case "ip", "forwarded_ip":
		return r.ClientIp, nil
	case "protocol":
		if allowTerminated && r.ForwardedScheme != "" {
			return strings.ToLower(r.ForwardedScheme), nil
		}
		return r.Scheme, nil
	}
	return "", nil
}

// ClientPort is kong.client.get_port / get_forwarded_port.
func (e *Event) ClientPort() (int, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	return int(e.req().ClientPort), nil
}

// StartTime is kong.nginx.req_start_time (seconds since the epoch).
func (e *Event) StartTime() (float64, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	return float64(e.req().StartTimeMs) / 1000, nil
}

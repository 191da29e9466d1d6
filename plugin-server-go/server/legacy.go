package server

// Types kept from go-pdk's server package (MsgPack era) so code that names them still compiles.
// Gantry's server does not use them.

// PluginConfig is a plugin's name and raw config.
type PluginConfig struct {
	Name   string
	Config []byte
}

// InstanceStatus describes a plugin instance.
type InstanceStatus struct {
	Name      string
	Id        int
	Config    interface{}
	StartTime int64
}

// StartEventData starts an event.
type StartEventData struct {
	InstanceId int
	EventName  string
	Params     []interface{}
}

// StepData is one step of an event.
type StepData struct {
	EventId int
	Data    interface{}
}

// Error is an error message.
type Error string

// StepErrorData is a failed step.
type StepErrorData struct {
	EventId int
	Data    Error
}

// StepMultiMapData carries a header/query map.
type StepMultiMapData struct {
	EventId int
	Data    map[string][]string
}

// StepCredentialData carries a credential.
type StepCredentialData struct {
	EventId int
	Data    interface{}
}

// StepRouteData carries a route.
type StepRouteData struct {
	EventId int
	Data    interface{}
}

// StepServiceData carries a service.
type StepServiceData struct {
	EventId int
	Data    interface{}
}

// StepConsumerData carries a consumer.
type StepConsumerData struct {
	EventId int
	Data    interface{}
}

// StepMemoryStatsData carries memory stats.
type StepMemoryStatsData struct {
	EventId int
	Data    interface{}
}

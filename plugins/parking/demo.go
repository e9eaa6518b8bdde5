package main

import "context"

// Demo is the demo tenant's parking (see configSchema).
type Demo struct {
	Community   string     `json:"community"`
	Lot         string     `json:"lot"`
	Zones       []DemoZone `json:"zones,omitempty"`
	Passes      []string   `json:"passes,omitempty"`
	Blacklist   []string   `json:"blacklist,omitempty"`
	Whitelist   []string   `json:"whitelist,omitempty"`
	Visitors    []string   `json:"visitors,omitempty"`
	HistoryDays int        `json:"history_days,omitempty"`
}

// DemoZone is a zone of the demo lot.
type DemoZone struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Capacity    int    `json:"capacity"`
	OwnedSpaces int    `json:"owned_spaces,omitempty"`
}

func (a *app) seedDemo(ctx context.Context, d *Demo) error { return nil }

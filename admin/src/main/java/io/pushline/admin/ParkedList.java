package io.pushline.admin;

import io.pushline.coordinators.Admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code pushline coordinators list} shows and {@code GET /v1/admin/coordinators} answers: the parked coordinators,
 * the latest record of each, in the order first read.
 */
public record ParkedList(List<Admin.Parked> parked) {
    public ParkedList {
        parked = List.copyOf(parked);
    }

    /** The JSON document of {@code --format json} and of the admin API (the parked step as {@code step}). */
    public Map<String, Object> toJson() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Admin.Parked p : parked) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("id", p.id());
            json.put("flow", p.flow());
            json.put("recipient", p.recipient());
            json.put("step", p.state());
            json.put("parkedAt", p.parkedAt().toString());
            json.put("failures", p.failures());
            json.put("reason", p.reason());
            list.add(json);
        }
        return Map.of("parked", list);
    }
}

package io.pushline.loadtests.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * {@code report.json}: the fields of {@link BenchReport} in declaration order, built by hand rather than by
 * Jackson's record support so the order and the treatment of odd values are ours. Numbers stay numbers; a
 * non-finite double (a ratio against a zero baseline) becomes {@code null}, which JSON can say; a value of a type
 * JSON has no form for (a {@code Duration}, an enum) becomes its {@code toString()}.
 */
final class ReportJson {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ReportJson() {
    }

    static byte[] toBytes(BenchReport report) {
        try {
            return MAPPER.writeValueAsBytes(toTree(report));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a tree of plain nodes as JSON", e);
        }
    }

    static ObjectNode toTree(BenchReport r) {
        ObjectNode root = NODES.objectNode();
        root.put("scenario", r.scenario());
        root.set("params", map(r.params()));
        root.set("throughputPerSec", number(r.throughputPerSec()));
        LatencyMs l = r.latencyMs();
        if (l == null) {
            root.putNull("latencyMs");
        } else {
            ObjectNode latency = root.putObject("latencyMs");
            latency.set("p50", number(l.p50()));
            latency.set("p99", number(l.p99()));
            latency.set("p999", number(l.p999()));
            latency.set("max", number(l.max()));
        }
        ObjectNode baseline = root.putObject("baseline");
        baseline.put("name", r.baseline().name());
        baseline.set("throughputPerSec", number(r.baseline().throughputPerSec()));
        root.set("ratio", number(r.ratio()));
        root.put("lost", r.lost());
        root.put("duplicates", r.duplicates());
        root.set("peakHeapMb", number(r.peakHeapMb()));
        root.put("elapsedMs", r.elapsedMs());
        ObjectNode machine = root.putObject("machine");
        machine.put("cores", r.machine().cores());
        machine.put("jvmVersion", r.machine().jvmVersion());
        machine.put("jvmVendor", r.machine().jvmVendor());
        machine.put("os", r.machine().os());
        machine.put("maxHeapMb", r.machine().maxHeapMb());
        root.set("figures", map(r.figures()));
        return root;
    }

    private static JsonNode number(double d) {
        return Double.isFinite(d) ? NODES.numberNode(d) : NODES.nullNode();
    }

    private static ObjectNode map(Map<?, ?> map) {
        ObjectNode node = NODES.objectNode();
        map.forEach((k, v) -> node.set(String.valueOf(k), value(v)));
        return node;
    }

    private static JsonNode value(Object v) {
        if (v == null) {
            return NODES.nullNode();
        }
        if (v instanceof Double || v instanceof Float) {
            return number(((Number) v).doubleValue());
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return NODES.numberNode(((Number) v).longValue());
        }
        if (v instanceof BigInteger) {
            return NODES.numberNode((BigInteger) v);
        }
        if (v instanceof BigDecimal) {
            return NODES.numberNode((BigDecimal) v);
        }
        if (v instanceof Number) { // AtomicLong, LongAdder, ...
            double d = ((Number) v).doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 0x1p53 ? NODES.numberNode(((Number) v).longValue()) : number(d);
        }
        if (v instanceof Boolean) {
            return NODES.booleanNode((Boolean) v);
        }
        if (v instanceof Map) {
            return map((Map<?, ?>) v);
        }
        if (v instanceof Iterable) {
            ArrayNode array = NODES.arrayNode();
            ((Iterable<?>) v).forEach(e -> array.add(value(e)));
            return array;
        }
        return NODES.textNode(String.valueOf(v));
    }
}

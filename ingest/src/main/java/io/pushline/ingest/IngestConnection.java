package io.pushline.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One HTTP/1.1 connection of the ingest: routes {@code POST /v1/events}, screens a request by its headers (the
 * {@link PublishPath} for the publisher and mode, the {@link Admission} bounds for room), reads its body within the
 * read timeout, hands it to a handler thread for the publish path, and writes each answer in one write, counting
 * {@link IngestMetrics#INGEST_REQUESTS} and {@link IngestMetrics#INGEST_DURATION}.
 *
 * <p>Confined to its channel's event loop (Netty calls it there; answers are brought back there), apart from
 * {@link Request#release}, which any thread may call once.
 */
final class IngestConnection extends ChannelInboundHandlerAdapter {
    // The transport's logger, as before the split: log lines keep their category.
    private static final Logger log = LoggerFactory.getLogger(IngestServer.class);

    /**
     * The connection's states: {@code IDLE} (between requests), {@code READING} (a request accepted by its headers, its
     * body arriving), {@code DISCARDING} (answered before its body was read; the rest of the body is read and dropped),
     * {@code WAITING} (the body is being handled or awaits the broker; the connection reads nothing more until the
     * answer is written).
     */
    enum State {
        IDLE, READING, DISCARDING, WAITING;

        /** The legal moves; any other is a bug and fails loudly (the connection is then closed). */
        private static final Map<State, Set<State>> NEXT = Map.of(
                IDLE, EnumSet.of(READING, DISCARDING),
                READING, EnumSet.of(WAITING, DISCARDING),
                DISCARDING, EnumSet.of(IDLE),
                WAITING, EnumSet.of(IDLE));

        State to(State next) {
            if (!NEXT.get(this).contains(next)) {
                throw new IllegalStateException("ingest connection: illegal move " + this + " -> " + next);
            }
            return next;
        }
    }

    /** A request past its headers: who sent it, what it reserved, and its body so far. Its answer is given once. */
    private final class Request {
        final long started;
        final PublishPath.Admitted admitted;
        final boolean keepAlive;
        final ByteArrayOutputStream body;
        int reserved;
        private final AtomicBoolean released = new AtomicBoolean();

        Request(long started, PublishPath.Admitted admitted, int reserved, boolean keepAlive) {
            this.started = started;
            this.admitted = admitted;
            this.reserved = reserved;
            this.keepAlive = keepAlive;
            this.body = new ByteArrayOutputStream(Math.min(reserved, 64 * 1024));
        }

        /** Gives back its bytes and its place among the requests in flight; true the first time only. */
        boolean release() {
            if (!released.compareAndSet(false, true)) {
                return false;
            }
            admission.release(reserved);
            return true;
        }
    }

    private final IngestConfig config;
    private final PublishPath path;
    private final Admission admission;
    private final Executor handlers;
    private final IngestMeters meters;
    private final BooleanSupplier closing;

    private State state = State.IDLE;
    private Request request;
    private long headStarted;
    private boolean closeAfterDiscard;
    private boolean pipelined;
    private ScheduledFuture<?> timer;

    /** {@code closing} is true once the server is closing: new requests are answered 503 and connections not kept. */
    IngestConnection(IngestConfig config, PublishPath path, Admission admission, Executor handlers, IngestMeters meters,
                     BooleanSupplier closing) {
        this.config = config;
        this.path = path;
        this.admission = admission;
        this.handlers = handlers;
        this.meters = meters;
        this.closing = closing;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (state == State.WAITING) {
                // A pipelined request: answers must keep their order, so the connection ends after the current one.
                pipelined = true;
                return;
            }
            if (msg instanceof HttpRequest head) {
                onHead(ctx, head);
            }
            if (msg instanceof HttpContent content) {
                onContent(ctx, content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHead(ChannelHandlerContext ctx, HttpRequest head) {
        headStarted = System.nanoTime();
        if (head.decoderResult().isFailure()) {
            state = state.to(State.DISCARDING);
            closeAfterDiscard = true;
            write(ctx, IngestReply.error(IngestReply.UNKNOWN_PUBLISHER, 400, "bad_request", "malformed HTTP request"), headStarted, false)
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        long declared;
        try {
            declared = HttpUtil.getContentLength(head, -1L);
        } catch (NumberFormatException e) {
            state = state.to(State.DISCARDING);
            closeAfterDiscard = true;
            write(ctx, IngestReply.error(IngestReply.UNKNOWN_PUBLISHER, 400, "bad_request", "Content-Length is not a number"), headStarted,
                    false).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        boolean chunked = HttpUtil.isTransferEncodingChunked(head);
        boolean expectContinue = HttpUtil.is100ContinueExpected(head);
        boolean keepAlive = HttpUtil.isKeepAlive(head) && !closing.getAsBoolean();
        Object screened = screen(head, declared, chunked, keepAlive);
        if (screened instanceof Request accepted) {
            request = accepted;
            state = state.to(State.READING);
            startTimer(ctx);
            if (expectContinue) {
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
            }
            return;
        }
        // Refused before the body is read: a small body is read and dropped, keeping the connection; a large one,
        // a chunked one of unknown length, or one the client waits to send (100-continue), ends the connection.
        boolean keep = keepAlive && !expectContinue && !chunked && declared <= config.maxBatchBytes();
        state = state.to(State.DISCARDING);
        closeAfterDiscard = !keep;
        ChannelFuture written = write(ctx, (IngestReply) screened, headStarted, keep);
        if (expectContinue || declared > config.maxBatchBytes()) {
            written.addListener(ChannelFutureListener.CLOSE);
        } else {
            startTimer(ctx);
        }
    }

    /**
     * What a request's headers allow: a {@link Request} (its bytes and place reserved) to read the body of, or the
     * {@link IngestReply} refusing it.
     */
    private Object screen(HttpRequest head, long declared, boolean chunked, boolean keepAlive) {
        if (closing.getAsBoolean()) {
            return IngestReply.error(IngestReply.UNKNOWN_PUBLISHER, 503, "overloaded", "the ingest is shutting down; retry later")
                    .with("Retry-After", Long.toString(IngestReply.SATURATED_RETRY_AFTER_SECONDS));
        }
        String uri = new QueryStringDecoder(head.uri()).path();
        if (!uri.equals(IngestServer.PATH)) {
            return IngestReply.error(IngestReply.UNKNOWN_PUBLISHER, 404, "not_found", "not found: POST events to " + IngestServer.PATH);
        }
        if (!head.method().equals(HttpMethod.POST)) {
            return IngestReply.error(IngestReply.UNKNOWN_PUBLISHER, 405, "method_not_allowed", "use POST").with("Allow", "POST");
        }
        PublishPath.Screened screened = path.screen(head.headers().get(HttpHeaderNames.AUTHORIZATION),
                head.headers().get(HttpHeaderNames.CONTENT_TYPE), ceHeaders(head.headers()), declared);
        if (screened instanceof PublishPath.Refused refused) {
            return refused.reply();
        }
        PublishPath.Admitted admitted = (PublishPath.Admitted) screened;
        int reserved = declared >= 0 ? (int) declared : chunked ? admitted.limit() : 0;
        String full = admission.tryAdmit(reserved);
        if (full != null) {
            path.count(admitted.name(), "saturated", 1);
            return IngestReply.saturated(admitted.name(), full);
        }
        return new Request(System.nanoTime(), admitted, reserved, keepAlive);
    }

    /** The request's {@code ce-*} headers (binary mode's attributes), name lower-case to every value given, in order. */
    private static Map<String, List<String>> ceHeaders(HttpHeaders headers) {
        Map<String, List<String>> found = Map.of();
        for (Map.Entry<String, String> header : headers) {
            String name = header.getKey();
            if (name.regionMatches(true, 0, CeHeaders.PREFIX, 0, CeHeaders.PREFIX.length())) {
                if (found.isEmpty()) {
                    found = new LinkedHashMap<>();
                }
                found.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>(1)).add(header.getValue());
            }
        }
        return found;
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        if (content.decoderResult().isFailure()) {
            ctx.close();   // a broken chunked body: nothing of it is produced (channelInactive frees what it held)
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (state == State.READING) {
            ByteBuf bytes = content.content();
            Request r = request;
            if (r.body.size() + bytes.readableBytes() > r.admitted.limit()) {
                r.release();
                request = null;
                state = state.to(State.DISCARDING);
                closeAfterDiscard = true;
                write(ctx, IngestReply.tooLarge(r.admitted.name(), "the body exceeds the limit of " + r.admitted.limit() + " bytes", config),
                        r.started, false);
            } else {
                byte[] chunk = new byte[bytes.readableBytes()];
                bytes.readBytes(chunk);
                r.body.write(chunk, 0, chunk.length);
                if (last) {
                    cancelTimer();
                    state = state.to(State.WAITING);
                    ctx.channel().config().setAutoRead(false);
                    dispatch(ctx, r);
                    return;
                }
            }
        }
        if (last && state == State.DISCARDING) {
            cancelTimer();
            state = state.to(State.IDLE);
            if (closeAfterDiscard) {
                ctx.close();
            }
        }
    }

    private void startTimer(ChannelHandlerContext ctx) {
        cancelTimer();
        timer = ctx.executor().schedule(() -> timedOut(ctx), config.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** The body did not arrive within the read timeout: answer 408 if nothing was answered yet, and disconnect. */
    private void timedOut(ChannelHandlerContext ctx) {
        timer = null;
        if (state == State.READING) {
            Request r = request;
            request = null;
            r.release();
            log.debug("ingest: a request of publisher {} did not send its body within {}; answered 408", r.admitted.name(),
                    config.readTimeout());
            state = state.to(State.DISCARDING);
            write(ctx, IngestReply.error(r.admitted.name(), 408, "timeout", "the body did not arrive within " + config.readTimeout()
                    + "; send it at once"), r.started, false).addListener(ChannelFutureListener.CLOSE);
        } else if (state == State.DISCARDING) {
            ctx.close();
        }
    }

    /** Hands the body to a handler thread; the answer comes back to this connection's event loop. */
    private void dispatch(ChannelHandlerContext ctx, Request r) {
        if (r.body.size() < r.reserved) {
            admission.releaseBytes(r.reserved - r.body.size());
            r.reserved = r.body.size();
        }
        Consumer<IngestReply> answer = reply -> {
            if (r.release()) {
                ctx.executor().execute(() -> answered(ctx, r, reply));
            }
        };
        try {
            handlers.execute(() -> {
                try {
                    path.publish(r.admitted, r.body.toByteArray()).whenComplete((reply, failure) ->
                            answer.accept(failure == null ? reply : PublishPath.internalError(r.admitted.name(), failure)));
                } catch (RuntimeException e) {
                    answer.accept(PublishPath.internalError(r.admitted.name(), e));
                }
            });
        } catch (RejectedExecutionException e) {
            answer.accept(IngestReply.error(r.admitted.name(), 503, "overloaded", closing.getAsBoolean()
                    ? "the ingest is shutting down; retry later" : "too many requests in progress; retry later")
                    .with("Retry-After", Long.toString(IngestReply.SATURATED_RETRY_AFTER_SECONDS)));
        }
    }

    private void answered(ChannelHandlerContext ctx, Request r, IngestReply reply) {
        request = null;
        state = state.to(State.IDLE);
        boolean keep = r.keepAlive && !pipelined && !closing.getAsBoolean();
        ChannelFuture written = write(ctx, reply, r.started, keep);
        if (keep) {
            ctx.channel().config().setAutoRead(true);
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Writes {@code reply} in one write and counts it; the caller closes the connection if {@code keepAlive} is false. */
    private ChannelFuture write(ChannelHandlerContext ctx, IngestReply reply, long started, boolean keepAlive) {
        byte[] bytes = reply.bytes();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()),
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        reply.headers().forEach((k, v) -> response.headers().set(k, v));
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        meters.answered(reply.publisher(), reply.status(), System.nanoTime() - started);
        return ctx.writeAndFlush(response);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            if (state == State.IDLE) {
                ctx.close();   // a kept-alive connection unused for twice the read timeout
            }
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimer();
        if (state == State.READING && request != null) {
            request.release();   // the client went away mid-body: nothing was produced
            request = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The client went away or sent garbage: nothing is claimed accepted. Never log the request itself.
        log.debug("ingest connection failed: {}", cause.getClass().getName());
        ctx.close();
    }
}

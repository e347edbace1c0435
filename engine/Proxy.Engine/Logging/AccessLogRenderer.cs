using System.Globalization;
using System.Net;
using Proxy.Engine.Http;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Logging;

/// <summary>
/// Renders one finished request as an access-log line, on the connection's thread, into pooled memory. The text form
/// is Istio's default (Envoy's default format string with Istio's additions, pilot's EnvoyTextLogFormat):
/// <code>
/// [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
/// %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED%
/// %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
/// "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS%
/// %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n
/// </code>
/// on one line; an unset value prints <c>-</c>. The JSON form has the same operators under Istio's JSON field names,
/// unset values as <c>null</c> (Envoy's json_format), numbers as numbers.
/// </summary>
internal static class AccessLogRenderer
{
    // A typical line is 300-400 bytes; the builder grows for long paths or headers.
    private const int InitialLineSize = 1024;

    private const string StartTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    // Printable ASCII but the quote and the backslash: copied into a JSON string as they are.
    private static readonly System.Buffers.SearchValues<byte> JsonPlain = System.Buffers.SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    public static LineBuilder Render(AccessLogFormat format, in RequestRecord record, in RequestLogFields fields)
    {
        var line = new LineBuilder(InitialLineSize);
        if (format == AccessLogFormat.Json)
        {
            RenderJson(ref line, record, fields);
        }
        else
        {
            RenderText(ref line, record, fields);
        }

        return line;
    }

    private static void RenderText(ref LineBuilder line, in RequestRecord record, in RequestLogFields fields)
    {
        line.Write((byte)'[');
        WriteStartTime(ref line, fields.StartTime);
        line.Write("] \""u8);
        WriteOrDash(ref line, fields.Method);
        line.Write((byte)' ');
        WritePathOrDash(ref line, fields);
        line.Write((byte)' ');
        line.Write(Protocol(fields.IsTcp, fields.Version));
        line.Write("\" "u8);
        line.Write(record.StatusCode);
        line.Write((byte)' ');
        WriteFlags(ref line, record.Flags);
        line.Write((byte)' ');
        WriteOrDash(ref line, ResponseCodeDetailNames.Get(fields.Detail));
        // %CONNECTION_TERMINATION_DETAILS% and "%UPSTREAM_TRANSPORT_FAILURE_REASON%": not tracked, unset.
        line.Write(" - \"-\" "u8);
        line.Write(fields.BytesReceived);
        line.Write((byte)' ');
        line.Write(fields.BytesSent);
        line.Write((byte)' ');
        line.Write((long)fields.Duration.TotalMilliseconds);
        // %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%: the proxy does not add that header, so it is unset.
        line.Write(" - \""u8);
        WriteForwardedFor(ref line, fields);
        line.Write("\" \""u8);
        WriteOrDash(ref line, fields.UserAgent);
        line.Write("\" \""u8);
        WriteOrDash(ref line, fields.RequestId);
        line.Write("\" \""u8);
        WriteOrDash(ref line, fields.Authority);
        line.Write("\" \""u8);
        WriteOrDash(ref line, record.Upstream?.Authority);
        line.Write("\" "u8);
        WriteOrDash(ref line, fields.UpstreamCluster);
        line.Write((byte)' ');
        WriteOrDash(ref line, fields.UpstreamLocalAddress);
        line.Write((byte)' ');
        WriteOrDash(ref line, fields.DownstreamLocalAddress);
        line.Write((byte)' ');
        WriteOrDash(ref line, fields.DownstreamRemoteAddress);
        line.Write((byte)' ');
        WriteOrDash(ref line, fields.RequestedServerName);
        line.Write((byte)' ');
        WriteOrDash(ref line, record.RouteName);
        line.Write((byte)'\n');
    }

    private static void RenderJson(ref LineBuilder line, in RequestRecord record, in RequestLogFields fields)
    {
        line.Write("{\"start_time\":\""u8);
        WriteStartTime(ref line, fields.StartTime);
        line.Write("\",\"method\":"u8);
        WriteJsonString(ref line, fields.Method);
        line.Write(",\"path\":"u8);
        if (fields.Path.IsEmpty)
        {
            line.Write("null"u8);
        }
        else
        {
            line.Write((byte)'"');
            WriteJsonEscaped(ref line, fields.Path);
            if (!fields.Query.IsEmpty)
            {
                line.Write((byte)'?');
                WriteJsonEscaped(ref line, fields.Query);
            }

            line.Write((byte)'"');
        }

        line.Write(",\"protocol\":"u8);
        WriteJsonString(ref line, fields.IsTcp ? default : Protocol(tcp: false, fields.Version));
        line.Write(",\"response_code\":"u8);
        line.Write(record.StatusCode);
        line.Write(",\"response_flags\":\""u8);
        WriteFlags(ref line, record.Flags);
        line.Write("\",\"response_code_details\":"u8);
        WriteJsonString(ref line, ResponseCodeDetailNames.Get(fields.Detail));
        line.Write(",\"connection_termination_details\":null,\"upstream_transport_failure_reason\":null,\"bytes_received\":"u8);
        line.Write(fields.BytesReceived);
        line.Write(",\"bytes_sent\":"u8);
        line.Write(fields.BytesSent);
        line.Write(",\"duration\":"u8);
        line.Write((long)fields.Duration.TotalMilliseconds);
        line.Write(",\"upstream_service_time\":null,\"x_forwarded_for\":"u8);
        if (fields.ClientAddress.IsEmpty)
        {
            line.Write("null"u8);
        }
        else
        {
            line.Write((byte)'"');
            WriteForwardedFor(ref line, fields, json: true);
            line.Write((byte)'"');
        }

        line.Write(",\"user_agent\":"u8);
        WriteJsonString(ref line, fields.UserAgent);
        line.Write(",\"request_id\":"u8);
        WriteJsonString(ref line, fields.RequestId);
        line.Write(",\"authority\":"u8);
        WriteJsonString(ref line, fields.Authority);
        line.Write(",\"upstream_host\":"u8);
        WriteJsonString(ref line, record.Upstream?.Authority);
        line.Write(",\"upstream_cluster\":"u8);
        WriteJsonString(ref line, fields.UpstreamCluster);
        line.Write(",\"upstream_local_address\":"u8);
        WriteJsonString(ref line, fields.UpstreamLocalAddress);
        line.Write(",\"downstream_local_address\":"u8);
        WriteJsonString(ref line, fields.DownstreamLocalAddress);
        line.Write(",\"downstream_remote_address\":"u8);
        WriteJsonString(ref line, fields.DownstreamRemoteAddress);
        line.Write(",\"requested_server_name\":"u8);
        WriteJsonString(ref line, fields.RequestedServerName);
        line.Write(",\"route_name\":"u8);
        WriteJsonString(ref line, record.RouteName);
        line.Write("}\n"u8);
    }

    private static ReadOnlySpan<byte> Protocol(bool tcp, Http1Version version)
        => tcp ? "-"u8 : version == Http1Version.Http10 ? "HTTP/1.0"u8 : "HTTP/1.1"u8;

    /// <summary>Envoy's %START_TIME% default: UTC, milliseconds, e.g. <c>2026-11-28T09:51:34.123Z</c>.</summary>
    private static void WriteStartTime(ref LineBuilder line, DateTimeOffset start)
    {
        var span = line.GetSpan(32);
        start.UtcDateTime.TryFormat(span, out var written, StartTimeFormat, CultureInfo.InvariantCulture);
        line.Advance(written);
    }

    private static void WriteFlags(ref LineBuilder line, ResponseFlags flags)
        => line.Advance(ResponseFlagNames.Write(flags, line.GetSpan(ResponseFlagNames.MaxLength)));

    private static void WritePathOrDash(ref LineBuilder line, in RequestLogFields fields)
    {
        if (fields.Path.IsEmpty)
        {
            line.Write((byte)'-');
            return;
        }

        line.Write(fields.Path);
        if (!fields.Query.IsEmpty)
        {
            line.Write((byte)'?');
            line.Write(fields.Query);
        }
    }

    /// <summary>x-forwarded-for as forwarded upstream: the client's value, then the client's address appended.</summary>
    private static void WriteForwardedFor(ref LineBuilder line, in RequestLogFields fields, bool json = false)
    {
        if (fields.ClientAddress.IsEmpty)
        {
            line.Write(json ? "null"u8 : "-"u8);
            return;
        }

        if (!fields.ForwardedFor.IsEmpty)
        {
            if (json)
            {
                WriteJsonEscaped(ref line, fields.ForwardedFor);
            }
            else
            {
                line.Write(fields.ForwardedFor);
            }

            line.Write(", "u8);
        }

        line.Write(fields.ClientAddress);
    }

    private static void WriteOrDash(ref LineBuilder line, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            line.Write((byte)'-');
        }
        else
        {
            line.Write(value);
        }
    }

    private static void WriteOrDash(ref LineBuilder line, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            line.Write((byte)'-');
        }
        else
        {
            line.WriteAscii(value);
        }
    }

    private static void WriteOrDash(ref LineBuilder line, IPEndPoint? value)
    {
        if (value is null)
        {
            line.Write((byte)'-');
        }
        else
        {
            WriteEndPoint(ref line, value);
        }
    }

    /// <summary>Envoy's address form: <c>10.0.0.1:8080</c>, <c>[::1]:8080</c>.</summary>
    private static void WriteEndPoint(ref LineBuilder line, IPEndPoint endPoint)
    {
        var address = endPoint.Address;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (v6)
        {
            line.Write((byte)'[');
        }

        address.TryFormat(line.GetSpan(64), out var written);
        line.Advance(written);
        if (v6)
        {
            line.Write((byte)']');
        }

        line.Write((byte)':');
        line.Write(endPoint.Port);
    }

    private static void WriteJsonString(ref LineBuilder line, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            line.Write("null"u8);
            return;
        }

        line.Write((byte)'"');
        WriteJsonEscaped(ref line, value);
        line.Write((byte)'"');
    }

    private static void WriteJsonString(ref LineBuilder line, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            line.Write("null"u8);
            return;
        }

        line.Write((byte)'"');
        foreach (var c in value)
        {
            WriteJsonByte(ref line, c < 0x80 ? (byte)c : (byte)'?');
        }

        line.Write((byte)'"');
    }

    private static void WriteJsonString(ref LineBuilder line, IPEndPoint? value)
    {
        if (value is null)
        {
            line.Write("null"u8);
            return;
        }

        line.Write((byte)'"');
        WriteEndPoint(ref line, value);
        line.Write((byte)'"');
    }

    private static void WriteJsonEscaped(ref LineBuilder line, ReadOnlySpan<byte> value)
    {
        // Header values are ASCII bar obs-text; a byte outside printable ASCII is escaped as its Latin-1 code point so
        // the line stays valid UTF-8 JSON.
        if (!value.ContainsAnyExcept(JsonPlain))
        {
            line.Write(value);
            return;
        }

        foreach (var b in value)
        {
            WriteJsonByte(ref line, b);
        }
    }

    private static void WriteJsonByte(ref LineBuilder line, byte b)
    {
        if (b is (byte)'"' or (byte)'\\')
        {
            line.Write((byte)'\\');
            line.Write(b);
        }
        else if (b < 0x20 || b >= 0x7F)
        {
            var span = line.GetSpan(6);
            "\\u00"u8.CopyTo(span);
            span[4] = HexDigit(b >> 4);
            span[5] = HexDigit(b & 0xF);
            line.Advance(6);
        }
        else
        {
            line.Write(b);
        }
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);
}

using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using Proxy.Hosting;

namespace Proxy.Host;

/// <summary>
/// The serving flags of <c>proxy [run]</c>. One instance per command: System.CommandLine symbols belong to one parent,
/// and <c>run</c> is also the root command's default action.
/// </summary>
internal sealed class GatewayCliOptions
{
    public Option<string[]> Config { get; } = ConfigOption();

    public Option<IPAddress> ListenAddress { get; } = Parsed<IPAddress>(
        "--listen-address", "Address Gateway servers bind", CliValueParsers.TryParseAddress, () => IPAddress.Any);

    // Wrapped because System.CommandLine cannot carry a null parsed value ("off") through its converter.
    public Option<AdminSetting> Admin { get; } = Parsed<AdminSetting>(
        "--admin", "Admin endpoint ADDR:PORT, or off", TryParseAdmin, () => new AdminSetting(ProxyGatewayOptions.DefaultAdminEndPoint));

    public Option<Dictionary<string, string>?> Labels { get; } = LabelsOption();

    public Option<string?> CredentialsDirectory { get; } = CredentialsDirectoryOption();

    public Option<TimeSpan> DrainTimeout { get; } = Parsed<TimeSpan>(
        "--drain-timeout", "Graceful drain on SIGTERM/SIGINT or POST /drain", CliValueParsers.TryParseDuration, () => TimeSpan.FromSeconds(15));

    public Option<string> AccessLog { get; } = new("--access-log")
    {
        Description = "Access log: stdout, off or a FILE path",
        DefaultValueFactory = _ => "off",
    };

    public Option<string> AccessLogFormat { get; } = new Option<string>("--access-log-format")
    {
        Description = "Access log format: text (Istio's default) or json",
        DefaultValueFactory = _ => "text",
    }.AcceptOnlyFromAmong("text", "json");

    public Option<LogLevel> LogLevel { get; } = Parsed<LogLevel>(
        "--log-level", "trace, debug, info, warning, error, critical or off", CliValueParsers.TryParseLogLevel,
        () => Microsoft.Extensions.Logging.LogLevel.Information);

    /// <summary>Engine tuning for benchmarks (perf/compare.sh), hidden from help: inline or threadpool.</summary>
    public Option<string> IoScheduling { get; } = new Option<string>("--io-scheduling")
    {
        Hidden = true,
        DefaultValueFactory = _ => "inline",
    }.AcceptOnlyFromAmong("inline", "threadpool");

    public delegate bool TryParse<T>(string text, out T value, out string error);

    public static Option<string[]> ConfigOption() => new("--config")
    {
        Description = "A YAML file or a directory of *.yaml/*.yml; repeat for more",
        Required = true,
        Arity = ArgumentArity.OneOrMore,
    };

    /// <summary>Shared with <c>validate</c>: which Gateways apply, and so which certificates are read, depends on it.</summary>
    public static Option<Dictionary<string, string>?> LabelsOption() => Parsed<Dictionary<string, string>?>(
        "--labels", "This instance's workload labels k=v[,k=v], matched against Gateway.spec.selector", CliValueParsers.TryParseLabels, null);

    /// <summary>Shared with <c>validate</c>, so it can load the certificates a credentialName names.</summary>
    public static Option<string?> CredentialsDirectoryOption() => new("--credentials-dir")
    {
        Description = "Where tls.credentialName NAME is read from: DIR/NAME/tls.crt, tls.key, ca.crt",
    };

    public static Option<T> Parsed<T>(string name, string description, TryParse<T> tryParse, Func<T>? defaultValue)
    {
        var option = new Option<T>(name)
        {
            Description = description,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (tryParse(text, out var value, out var error))
                {
                    return value;
                }

                result.AddError($"{name}: {error}");
                return default;
            },
        };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue();
        }

        return option;
    }

    private static bool TryParseAdmin(string text, out AdminSetting setting, out string error)
    {
        var ok = CliValueParsers.TryParseAdmin(text, out var endPoint, out error);
        setting = new AdminSetting(endPoint);
        return ok;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(ListenAddress);
        command.Options.Add(Admin);
        command.Options.Add(Labels);
        command.Options.Add(CredentialsDirectory);
        command.Options.Add(DrainTimeout);
        command.Options.Add(AccessLog);
        command.Options.Add(AccessLogFormat);
        command.Options.Add(LogLevel);
        command.Options.Add(IoScheduling);
    }

    public RunSettings Read(ParseResult parseResult)
    {
        var options = new ProxyGatewayOptions
        {
            ListenAddress = parseResult.GetValue(ListenAddress) ?? IPAddress.Any,
            AdminEndPoint = parseResult.GetValue(Admin)?.EndPoint,
            Labels = parseResult.GetValue(Labels),
            CredentialsDirectory = parseResult.GetValue(CredentialsDirectory),
            DrainTimeout = parseResult.GetValue(DrainTimeout),
            IoScheduling = parseResult.GetValue(IoScheduling) == "threadpool" ? Engine.IoScheduling.ThreadPool : Engine.IoScheduling.Inline,
            AccessLog = parseResult.GetValue(AccessLog),
            AccessLogFormat = parseResult.GetValue(AccessLogFormat) == "json" ? Engine.Logging.AccessLogFormat.Json : Engine.Logging.AccessLogFormat.Text,
        };
        foreach (var path in parseResult.GetValue(Config) ?? [])
        {
            options.ConfigPaths.Add(path);
        }

        return new RunSettings(options, parseResult.GetValue(LogLevel));
    }
}

/// <summary>Everything <c>proxy run</c> was told: the gateway's options (access log included) and the log level.</summary>
internal sealed record RunSettings(ProxyGatewayOptions Gateway, LogLevel LogLevel);

/// <summary>The <c>--admin</c> value: an address, or null for <c>off</c>.</summary>
internal sealed record AdminSetting(IPEndPoint? EndPoint)
{
    public override string ToString() => EndPoint?.ToString() ?? "off";
}

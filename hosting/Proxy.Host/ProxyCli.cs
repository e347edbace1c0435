using System.CommandLine;
using System.CommandLine.Help;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Proxy.Hosting;
using Proxy.Istio;

namespace Proxy.Host;

/// <summary>
/// The <c>proxy</c> command line (DESIGN.md "The proxy command"): <c>[run]</c>, <c>validate</c>, <c>demo</c>,
/// <c>echo</c>. Parse errors are usage errors (exit 2), not System.CommandLine's default 1, which means
/// "invalid configuration" here.
/// </summary>
internal static class ProxyCli
{
    private const string QuickstartResourcePrefix = "quickstart/";

    public static async Task<int> InvokeAsync(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        var root = CreateRootCommand(context);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0 && parseResult.Action is not HelpAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await context.Error.WriteLineAsync($"proxy: {error.Message}").ConfigureAwait(false);
            }

            await context.Error.WriteLineAsync("Run 'proxy --help' for usage.").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,

            // Signals are handled by Program (graceful drain can outlast System.CommandLine's termination timeout).
            ProcessTerminationTimeout = null,
        };
        return await parseResult.InvokeAsync(invocation, context.Shutdown).ConfigureAwait(false);
    }

    internal static RootCommand CreateRootCommand(CliContext context)
    {
        var root = new RootCommand("Proxy: the data plane of an Istio ingress/egress gateway. Without a command, runs `proxy run`.");
        var rootRun = new GatewayCliOptions();
        rootRun.AddTo(root);
        root.SetAction((parseResult, ct) => RunAsync(rootRun.Read(parseResult), context, ct));

        var run = new Command("run", "Serve the gateway described by the Istio YAML given with --config.");
        var runOptions = new GatewayCliOptions();
        runOptions.AddTo(run);
        run.SetAction((parseResult, ct) => RunAsync(runOptions.Read(parseResult), context, ct));
        root.Subcommands.Add(run);

        var validate = new Command("validate", "Check the configuration: exit 0 if valid, 1 with every error listed.");
        var validateConfig = GatewayCliOptions.ConfigOption();
        var validateLabels = GatewayCliOptions.LabelsOption();
        var validateCredentials = GatewayCliOptions.CredentialsDirectoryOption();
        validate.Options.Add(validateConfig);
        validate.Options.Add(validateLabels);
        validate.Options.Add(validateCredentials);
        validate.SetAction(parseResult =>
        {
            var options = new ProxyGatewayOptions
            {
                Labels = parseResult.GetValue(validateLabels),
                CredentialsDirectory = parseResult.GetValue(validateCredentials),
            };
            foreach (var path in parseResult.GetValue(validateConfig) ?? [])
            {
                options.ConfigPaths.Add(path);
            }

            return Validate(options, context);
        });
        root.Subcommands.Add(validate);

        var demo = new Command("demo", "The quickstart: a gateway on :8080 with canary, header and path routes to two built-in echo backends.");
        demo.SetAction((_, ct) => DemoAsync(context, ct));
        root.Subcommands.Add(demo);

        var echo = new Command("echo", "A small HTTP echo upstream for demos and tests.");
        var listen = GatewayCliOptions.Parsed<IPEndPoint>("--listen", "ADDR:PORT to listen on", CliValueParsers.TryParseEndPoint, null);
        listen.Required = true;
        var name = new Option<string>("--name") { Description = "Name sent back in x-echo-name and the body", DefaultValueFactory = _ => "echo" };
        echo.Options.Add(listen);
        echo.Options.Add(name);
        echo.SetAction((parseResult, ct) => EchoAsync(parseResult.GetValue(listen)!, parseResult.GetValue(name) ?? "echo", context, ct));
        root.Subcommands.Add(echo);
        return root;
    }

    private static int Validate(ProxyGatewayOptions options, CliContext context)
    {
        var result = ProxyGateway.Validate(options);
        foreach (var warning in result.Warnings)
        {
            context.Error.WriteLine("warning: " + warning);
        }

        if (!result.IsValid)
        {
            WriteErrors(result.Errors, context);
            return ExitCodes.InvalidConfiguration;
        }

        context.Out.WriteLine("configuration is valid");
        return ExitCodes.Success;
    }

    private static async Task<int> RunAsync(RunSettings settings, CliContext context, CancellationToken shutdown)
    {
        using var loggerFactory = context.CreateLoggerFactory(settings.LogLevel);
        settings.Gateway.LoggerFactory = loggerFactory;
        return await ServeAsync(settings.Gateway, context, onStarted: null, shutdown).ConfigureAwait(false);
    }

    private static async Task<int> DemoAsync(CliContext context, CancellationToken shutdown)
    {
        using var loggerFactory = context.CreateLoggerFactory(LogLevel.Warning);
        var options = new ProxyGatewayOptions { LoggerFactory = loggerFactory };
        foreach (var source in ReadQuickstart())
        {
            options.ConfigSources.Add(source);
        }

        EchoServer v1;
        EchoServer v2;
        try
        {
            v1 = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 9081), "v1", loggerFactory);
        }
        catch (SocketException ex)
        {
            await context.Error.WriteLineAsync($"proxy: cannot start the v1 echo backend on 127.0.0.1:9081: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }

        await using (v1.ConfigureAwait(false))
        {
            try
            {
                v2 = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 9082), "v2", loggerFactory);
            }
            catch (SocketException ex)
            {
                await context.Error.WriteLineAsync($"proxy: cannot start the v2 echo backend on 127.0.0.1:9082: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }

            await using (v2.ConfigureAwait(false))
            {
                return await ServeAsync(options, context, PrintDemoInstructions, shutdown).ConfigureAwait(false);
            }
        }
    }

    private static void PrintDemoInstructions(ProxyGateway gateway, TextWriter output)
    {
        var admin = gateway.AdminEndPoint?.ToString() ?? "127.0.0.1:15000";
        output.WriteLine($"""
            Proxy demo: a gateway on :8080 in front of two echo backends, v1 (127.0.0.1:9081) and v2 (127.0.0.1:9082).
            The response body's "name" says which backend answered. Try:

              curl http://127.0.0.1:8080/                          # canary: 90% v1, 10% v2
              curl -H 'end-user: jason' http://127.0.0.1:8080/     # header match: always v2
              curl http://127.0.0.1:8080/v2/                       # path match: always v2
              for i in $(seq 100); do curl -s http://127.0.0.1:8080/ | grep -o '"name":"v[12]"'; done | sort | uniq -c
              curl http://{admin}/ready                     # LIVE while serving, 503 once draining

            Ctrl-C drains and stops.
            """);
        output.Flush();
    }

    private static async Task<int> ServeAsync(
        ProxyGatewayOptions options, CliContext context, Action<ProxyGateway, TextWriter>? onStarted, CancellationToken shutdown)
    {
        ProxyGateway gateway;
        try
        {
            gateway = await ProxyGateway.StartAsync(options, shutdown).ConfigureAwait(false);
        }
        catch (ProxyGatewayConfigurationException ex)
        {
            WriteErrors(ex.Errors, context);
            return ExitCodes.InvalidConfiguration;
        }
        catch (SocketException ex)
        {
            await context.Error.WriteLineAsync($"proxy: cannot bind: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }

        await using (gateway.ConfigureAwait(false))
        {
            onStarted?.Invoke(gateway, context.Out);
            context.GatewayStarted?.Invoke(gateway);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGINT/SIGTERM: drain below, then exit 0.
            }

            await gateway.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static async Task<int> EchoAsync(IPEndPoint endPoint, string name, CliContext context, CancellationToken shutdown)
    {
        using var loggerFactory = context.CreateLoggerFactory(LogLevel.Information);
        EchoServer echo;
        try
        {
            echo = EchoServer.Listen(endPoint, name, loggerFactory);
        }
        catch (SocketException ex)
        {
            await context.Error.WriteLineAsync($"proxy: cannot listen on {endPoint}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }

        await using (echo.ConfigureAwait(false))
        {
            await context.Out.WriteLineAsync($"echo {name} listening on {echo.EndPoint}").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: stop below.
            }

            await echo.StopAsync().ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>The quickstart YAML embedded at build time, so <c>proxy demo</c> needs no files on disk.</summary>
    internal static IReadOnlyList<IstioSource> ReadQuickstart()
    {
        var assembly = typeof(ProxyCli).Assembly;
        var sources = new List<IstioSource>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(QuickstartResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            sources.Add(new IstioSource(name, reader.ReadToEnd()));
        }

        return sources;
    }

    private static void WriteErrors(IReadOnlyList<ConfigError> errors, CliContext context)
    {
        foreach (var error in errors)
        {
            context.Error.WriteLine(error.ToString());
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Avatar.IntegrationTests.Infrastructure;

/// <summary>A real Prometheus server (Debian's <c>prometheus</c>) scraping one worker every second, in a throwaway folder.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string folder;
    private readonly HttpClient http;

    private PrometheusServer(Process process, string folder, Uri address)
    {
        this.process = process;
        this.folder = folder;
        http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
    }

    public static async Task<PrometheusServer> StartAsync(Uri worker)
    {
        var folder = Directory.CreateTempSubdirectory("avatar-prometheus-").FullName;
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: avatar-worker
                static_configs:
                  - targets: ["{worker.Authority}"]
            """);

        var port = FreePort();
        var info = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("prometheus is not installed: run the tests through ./test.sh, which installs Debian's package.", exception);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, folder, new Uri($"http://127.0.0.1:{port}"));
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await server.http.GetAsync("/-/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException("Prometheus did not become ready within 10 s.");
    }

    /// <summary>The JSON answer of an instant query.</summary>
    public Task<string> QueryAsync(string promql) => http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}");

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        http.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

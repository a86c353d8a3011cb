using System.Net;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Avatar.Worker.Callback;
using Microsoft.Extensions.Options;

namespace Avatar.IntegrationTests;

/// <summary>
/// The worker's own H5 callback receiver, behind a reverse proxy that ends TLS (the test plays the browser and the proxy):
/// xcompute gets a signed link to the worker, the simulator's H5 page sends the browser there, and the worker starts
/// step 2 itself and sends the browser on to the caller's URL.
/// </summary>
[Collection(SecondAvatarCollection.Name)]
public sealed class CallbackReceiverTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    private static readonly Uri PublicBaseUrl = new("https://avatar.example");
    private static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The public port of the worker with the receiver on: the callback path only.</summary>
    internal static readonly int PublicPort = Avatar.Testing.Ports.Free();

    internal static readonly Dictionary<string, string> Receiver = new()
    {
        ["Avatar:Callback:PublicBaseUrl"] = PublicBaseUrl.ToString(),
        ["Avatar:Callback:SigningKey"] = SigningKey,
        ["Avatar:Callback:Port"] = PublicPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Avatar:Callback:ListenAddress"] = "127.0.0.1",

        // The proxy is on this machine (loopback always counts); a listed one would be, for example, 10.0.0.5.
        ["Avatar:Callback:TrustedProxies:0"] = "10.0.0.0/24",
    };

    [Fact]
    public Task A_person_who_passes_starts_step_2_without_AvatarAuthCompleted_and_lands_on_the_caller_url() => Fixture.WithWorkerAsync(Receiver, async worker =>
    {
        var created = await CreateSessionAsync();

        var link = await Simulator.CompleteH5Async(created.H5Link);
        Assert.Equal(PublicBaseUrl.Host, link.Host);
        Assert.Equal($"/avatar/callback/{created.SessionId:N}", link.AbsolutePath);

        var landed = await FollowAsync(worker, link);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.Equal($"{CallbackFor(created.SessionId)}?sessionId={created.SessionId}&outcome=completed", landed.Headers.Location!.ToString());
        Assert.DoesNotContain("bytedToken", landed.Headers.Location!.ToString());
        var verified = await Events.WaitFor<AvatarAuthVerified>(e => e.SessionId == created.SessionId);

        // The same link again is refused; the caller's own AvatarAuthCompleted is a harmless duplicate.
        Assert.Equal(HttpStatusCode.Forbidden, (await FollowAsync(worker, link)).StatusCode);
        await Fixture.Publish(new AvatarAuthCompleted(created.SessionId));
        await WaitUntil(() => Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId).Count == 2);
        Assert.All(Events.All<AvatarAuthVerified>(e => e.SessionId == created.SessionId), e => Assert.Equal(verified, e));
        Assert.Empty(Events.All<AvatarAuthFailed>(e => e.SessionId == created.SessionId));
        Assert.Equal(1, await VerificationQueriesAsync(created.SessionId));
    });

    [Fact]
    public Task Tampered_expired_or_plain_http_links_get_403_and_change_nothing_and_a_failed_page_ends_the_session() => Fixture.WithWorkerAsync(Receiver, async worker =>
    {
        var created = await CreateSessionAsync();
        var link = await Simulator.CompleteH5Async(created.H5Link, pass: false);
        var query = System.Web.HttpUtility.ParseQueryString(link.Query);
        var other = await CreateSessionAsync();
        var expired = new CallbackLinks(Options.Create(new CallbackOptions { PublicBaseUrl = PublicBaseUrl, SigningKey = SigningKey }), TimeProvider.System)
            .For(created.SessionId, DateTimeOffset.UtcNow.AddSeconds(-5));

        var refusals = new (string Case, Uri Link, bool Https)[]
        {
            ("altered signature", With(link, "sig", query["sig"]![..^2] + (query["sig"]![^2] == 'A' ? "BB" : "AA")), true),
            ("later expiry", With(link, "exp", (long.Parse(query["exp"]!, System.Globalization.CultureInfo.InvariantCulture) + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture)), true),
            ("another session's id", new Uri(link.ToString().Replace(created.SessionId.ToString("N"), other.SessionId.ToString("N"), StringComparison.Ordinal)), true),
            ("another token", With(link, "bytedToken", "not-the-session-token"), true),
            ("no token", Without(link, "bytedToken"), true),
            ("the token twice", new Uri($"{link}&bytedToken={Uri.EscapeDataString(query["bytedToken"]!)}"), true),
            ("expired", new Uri($"{expired}&bytedToken={Uri.EscapeDataString(query["bytedToken"]!)}&resultCode=10001"), true),
            ("plain http", link, false),
        };
        foreach (var (name, refused, https) in refusals)
        {
            Assert.True((await FollowAsync(worker, refused, https)).StatusCode == HttpStatusCode.Forbidden, $"{name} was not refused");
        }

        var session = await FindAsync<AvatarSession>(created.SessionId);
        Assert.Equal(SessionState.AwaitingVerification, session!.State);
        Assert.Null(session.CallbackAt);

        // The genuine link still works: the person failed, which ends the session at once, with one event.
        var landed = await FollowAsync(worker, link);
        Assert.Equal($"{CallbackFor(created.SessionId)}?sessionId={created.SessionId}&outcome=failed", landed.Headers.Location!.ToString());
        var failed = await Events.WaitFor<AvatarAuthFailed>(e => e.SessionId == created.SessionId);
        Assert.Equal(AvatarErrorCodes.VerificationFailed, failed.ErrorCode);
        Assert.Equal("the person did not pass the H5 page (result code 10001)", failed.Reason);
        Assert.Null((await FindAsync<AvatarSession>(created.SessionId))!.BytedToken);
        Assert.Equal(0, await VerificationQueriesAsync(created.SessionId));
    });

    [Fact]
    public Task The_public_port_serves_the_callback_only_and_the_management_port_never_serves_it() => Fixture.WithWorkerAsync(Receiver, async worker =>
    {
        using var http = new HttpClient();
        var publicPort = new Uri($"http://127.0.0.1:{PublicPort}");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(publicPort, "/metrics"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(publicPort, "/health/ready"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(worker.BaseAddress, "/metrics"))).StatusCode);

        var created = await CreateSessionAsync();
        var link = await Simulator.CompleteH5Async(created.H5Link);
        using var onManagement = new HttpRequestMessage(HttpMethod.Get, new Uri(worker.BaseAddress, link.PathAndQuery));
        onManagement.Headers.Add("X-Forwarded-Proto", "https");
        Assert.Equal(HttpStatusCode.NotFound, (await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }).SendAsync(onManagement)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await FollowAsync(worker, link)).StatusCode);
    });

    [Fact]
    public async Task Forwarded_headers_count_only_from_a_listed_proxy()
    {
        // This machine's own non-loopback address plays a proxy on another machine: a request to it comes from it.
        var address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a));
        Assert.True(address is not null, "this test needs a non-loopback IPv4 address on the machine");
        var onAllInterfaces = new Dictionary<string, string>(Receiver) { ["Avatar:Callback:ListenAddress"] = "0.0.0.0" };
        var (sessionId, link) = (Guid.Empty, (Uri?)null);

        // Not listed (the list holds 10.0.0.0/24 only): its X-Forwarded-* are ignored, so the request is plain http from it.
        await Fixture.WithWorkerAsync(onAllInterfaces, async worker =>
        {
            var created = await CreateSessionAsync();
            (sessionId, link) = (created.SessionId, await Simulator.CompleteH5Async(created.H5Link));
            Assert.Equal(HttpStatusCode.Forbidden, (await FromAsync(address!, link)).StatusCode);
            Assert.True(worker.Logs.Contains($"{sessionId} from {address}: it arrived over plain http"), "refused for another reason");
        });
        Assert.Null((await FindAsync<AvatarSession>(sessionId))!.CallbackAt);

        // Listed: the same request counts as https and the link works.
        var listed = new Dictionary<string, string>(onAllInterfaces) { ["Avatar:Callback:TrustedProxies:1"] = address!.ToString() };
        await Fixture.WithWorkerAsync(listed, async _ =>
            Assert.Equal(HttpStatusCode.Redirect, (await FromAsync(address!, link!)).StatusCode));

        static async Task<HttpResponseMessage> FromAsync(System.Net.IPAddress proxy, Uri link)
        {
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{proxy}:{PublicPort}{link.PathAndQuery}"));
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            return await http.SendAsync(request);
        }
    }

    /// <summary>What a browser's request looks like once the proxy in front of the worker passed it on.</summary>
    internal static async Task<HttpResponseMessage> FollowAsync(WorkerInstance worker, Uri link, bool https = true)
    {
        _ = worker;
        using var proxy = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{PublicPort}{link.PathAndQuery}"));
        if (https)
        {
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        }

        return await proxy.SendAsync(request);
    }

    private static Uri With(Uri link, string name, string value)
    {
        var query = System.Web.HttpUtility.ParseQueryString(link.Query);
        query[name] = value;
        return new UriBuilder(link) { Query = query.ToString() }.Uri;
    }

    private static Uri Without(Uri link, string name)
    {
        var query = System.Web.HttpUtility.ParseQueryString(link.Query);
        query.Remove(name);
        return new UriBuilder(link) { Query = query.ToString() }.Uri;
    }
}

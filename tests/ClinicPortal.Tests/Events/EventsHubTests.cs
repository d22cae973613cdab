using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ClinicPortal.Features.Events;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Events;

[Collection(PortalCollection.Name)]
public sealed class EventsHubTests(ClinicPortalFactory portal)
{
    private const char RecordSeparator = '\u001e';

    /// <summary>A hub connection speaking SignalR's JSON protocol over the test server's WebSocket.</summary>
    private async Task<WebSocket> ConnectAsync(string cookie)
    {
        var client = portal.Server.CreateWebSocketClient();
        client.ConfigureRequest = r => r.Headers["Cookie"] = cookie;
        var uri = new UriBuilder(portal.Server.BaseAddress) { Scheme = "ws", Path = EventsHub.Path }.Uri;
        var socket = await client.ConnectAsync(uri, CancellationToken.None);
        await SendAsync(socket, "{\"protocol\":\"json\",\"version\":1}");
        Assert.Equal("{}", (await ReceiveAsync(socket, TimeSpan.FromSeconds(5))).Single());
        // The handshake's answer can come before the server has put the connection in its clinic's group. The server reads
        // invocations only after that, so once an invocation is answered (here an error: there is no such method), events reach it.
        await SendAsync(socket, "{\"type\":1,\"invocationId\":\"ready\",\"target\":\"Ready\",\"arguments\":[]}");
        while (!(await ReceiveAsync(socket, TimeSpan.FromSeconds(5))).Any(m => JsonDocument.Parse(m).RootElement.GetProperty("type").GetInt32() == 3)) { }
        return socket;
    }

    private static Task SendAsync(WebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<IReadOnlyList<string>> ReceiveAsync(WebSocket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        do
        {
            var r = await socket.ReceiveAsync(buffer, cts.Token);
            text.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
        } while (!text.ToString().EndsWith(RecordSeparator));
        return text.ToString().Split(RecordSeparator, StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Waits for the next "event" invocation, skipping pings.</summary>
    private static async Task<JsonElement> NextEventAsync(WebSocket socket)
    {
        while (true)
            foreach (var message in await ReceiveAsync(socket, TimeSpan.FromSeconds(15)))
            {
                var m = JsonDocument.Parse(message).RootElement;
                if (m.GetProperty("type").GetInt32() == 1 && m.GetProperty("target").GetString() == "event") return m.GetProperty("arguments")[0];
            }
    }

    [Fact]
    public async Task A_signed_in_client_receives_its_own_clinics_events_and_not_another_clinics()
    {
        var mine = await portal.CreateClinicAsync();
        var theirs = await portal.CreateClinicAsync();
        var cookie = await SignInCookie.GetAsync(portal, await StaffSession.NewAccountAsync(portal, mine, "staff"));
        using var socket = await ConnectAsync(cookie);

        await theirs.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00", phone: "+447700100444");
        var booked = await mine.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "11:00");

        var e = await NextEventAsync(socket);
        Assert.Equal("booking", e.GetProperty("kind").GetString());
        Assert.Equal(mine.Id, e.GetProperty("clinicId").GetGuid());
        Assert.Equal(booked.GetProperty("appointment_id").GetString(), e.GetProperty("payload").GetProperty("appointment_id").GetString());
    }

    [Fact]
    public async Task An_anonymous_client_is_refused_with_401()
    {
        using var client = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var negotiate = await client.PostAsync(EventsHub.Path + "/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
    }

    [Fact]
    public async Task A_hub_connection_closes_when_the_persons_access_ends()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        using var socket = await ConnectAsync(await SignInCookie.GetAsync(portal, email));

        await using (var su = portal.Superuser())
            await su.ExecAsync("delete from clinic_staff where clinic_id = @Id", new { clinic.Id });

        // Checked every second in tests (every minute by default): the server closes the socket.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        WebSocketReceiveResult r;
        do r = await socket.ReceiveAsync(buffer, cts.Token); while (r.MessageType != WebSocketMessageType.Close);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
    }
}

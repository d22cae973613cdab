using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Booking;

/// <summary>
/// A booking holds one pooled connection and never asks for a second while it holds it (Booker): with a small pool, requests
/// that each waited for a second connection would wait on each other until the pool's timeout. The embedded database's pool
/// is four connections a core (EmbeddedPostgres.PoolSize), so this must hold for every path a booking takes.
/// </summary>
public sealed class ConnectionPoolTests
{
    [Fact]
    public async Task Voice_bookings_with_notes_all_book_at_once_on_a_pool_of_three()
    {
        var db = await TestDatabase.OwnDatabaseAsync("pool");
        // Three connections: the event feed's listener keeps one, and background work borrows now and then.
        await using var portal = db.TestPortal(("Database:MaxPoolSize", "3"));
        portal.CreateClient().Dispose(); // started: migrated
        await ClinicSetup.EnsureClinicAsync(db.Owner, new ClinicSpec("pool", "Pool clinic", "Europe/London", "+442079460999", 0,
            [new ProviderSpec("dr-a", "Dr A", "General", Dates.AroundTheClock)], [], ["pool-secret"]));
        using var client = portal.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "pool-secret");
        var date = Dates.Upcoming(DayOfWeek.Wednesday);

        // The portal has made no confirmation link yet: its key is loaded on the first. Ten bookings race for it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            var response = await client.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("book_appointment", new
            {
                provider = "dr-a", date, time = $"{9 + i:D2}:00", patient_name = $"Pat {i}", patient_phone = Phones.Unique(),
                notes = "Allergic to latex",
            }, TestClinic.NewToolCallId()));
            response.EnsureSuccessStatusCode();
            var entry = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results")[0];
            return entry.TryGetProperty("result", out var result) ? JsonDocument.Parse(result.GetString()!).RootElement.GetProperty("status").GetString()
                : entry.GetProperty("error").GetString();
        }));

        Assert.All(answers, a => Assert.Equal("booked", a));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"ten bookings took {clock.Elapsed}"); // a wait for a second connection ends at 15 s
    }
}

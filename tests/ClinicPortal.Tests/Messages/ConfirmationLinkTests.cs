using System.Net;
using System.Text.RegularExpressions;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Messages;

/// <summary>A voice booking stays pending until the patient opens the link texted to them.</summary>
[Collection(PortalCollection.Name)]
public sealed partial class ConfirmationLinkTests(ClinicPortalFactory portal)
{
    private async Task<(TestClinic Clinic, Guid Appointment, string Link)> VoiceBookingAsync()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        var booked = await clinic.BookAsync("dr-b", Dates.Upcoming(DayOfWeek.Wednesday), "15:30", phone: phone);
        var text = Assert.Single(await portal.Twilio.WaitForAsync(phone));
        var link = Link().Match(text.Body);
        Assert.True(link.Success, text.Body);
        return (clinic, booked.GetProperty("appointment_id").GetGuid(), link.Groups[1].Value);
    }

    private async Task<string> StatusAsync(Guid appointment)
    {
        await using var conn = portal.Superuser();
        return await conn.ScalarAsync<string>("select status::text from appointments where id = @appointment", new { appointment }) ?? "";
    }

    /// <summary>The patient's Confirm button, pressed twice (two taps, or two tabs): the page's form, posted with its antiforgery token.</summary>
    private static async Task<(HttpResponseMessage First, HttpResponseMessage Again)> PressConfirmTwiceAsync(StaffSession patient, string path)
    {
        var token = StaffSession.Token().Match(await patient.Client.GetStringAsync(path)).Groups[1].Value;
        Assert.NotEmpty(token);
        FormUrlEncodedContent Form() => new(new Dictionary<string, string> { ["_handler"] = "confirm", ["__RequestVerificationToken"] = token });
        return (await patient.Client.PostAsync(path, Form()), await patient.Client.PostAsync(path, Form()));
    }

    [Fact]
    public async Task Opening_the_link_shows_the_appointment_and_only_pressing_confirm_confirms_it_once()
    {
        var (clinic, appointment, path) = await VoiceBookingAsync();
        Assert.Equal("pending", await StatusAsync(appointment));
        using var patient = StaffSession.Open(portal);

        var opened = await patient.Client.GetAsync(path);
        var openedAgain = await patient.Client.GetAsync(path); // a link previewer or a virus scanner fetching it
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var shown = await opened.Content.ReadAsStringAsync();
        Assert.Contains("Please confirm your appointment", shown);
        Assert.Contains("with Dr Bo B on Wednesday", shown);
        Assert.Contains("data-testid=\"confirm\"", shown);
        Assert.Equal(HttpStatusCode.OK, openedAgain.StatusCode);
        Assert.Equal("pending", await StatusAsync(appointment));

        var (first, again) = await PressConfirmTwiceAsync(patient, path);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var page = await first.Content.ReadAsStringAsync();
        Assert.Contains("Your appointment is confirmed", page);
        Assert.Contains("with Dr Bo B on Wednesday", page);
        Assert.Equal("confirmed", await StatusAsync(appointment));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("already confirmed", await again.Content.ReadAsStringAsync());
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'appointment.confirmed' and actor = 'patient:sms-link'"));
        Assert.Equal(1, await clinic.CountAsync("events", "kind = 'status' and payload ->> 'status' = 'confirmed'"));
    }

    [Fact]
    public async Task A_tampered_link_is_not_valid_and_confirms_nothing()
    {
        var (_, appointment, path) = await VoiceBookingAsync();
        var tampered = path[..^1] + (path[^1] == 'A' ? 'B' : 'A');
        using var browser = portal.CreateClient();
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html"); // a browser opening the link

        var response = await browser.GetAsync(tampered);
        var garbage = await browser.GetAsync("/c/not-a-token");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("This link is not valid", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, garbage.StatusCode);
        Assert.Equal("pending", await StatusAsync(appointment));
    }

    [Fact]
    public async Task An_expired_link_confirms_nothing_and_tells_the_patient_to_call()
    {
        var (clinic, appointment, path) = await VoiceBookingAsync();
        await using (var conn = portal.Superuser())
            await conn.ExecAsync("update confirmation_tokens set expires_at = now() - interval '1 minute' where appointment_id = @appointment", new { appointment });
        using var browser = portal.CreateClient();

        var response = await browser.GetAsync(path);

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("This link has expired", page);
        Assert.Contains("+442079460999", page);
        Assert.Equal("pending", await StatusAsync(appointment));
        Assert.Equal(0, await clinic.CountAsync("audit_log", "action = 'appointment.confirmed'"));
    }

    [Fact]
    public async Task The_link_of_a_cancelled_appointment_does_not_bring_it_back()
    {
        var (_, appointment, path) = await VoiceBookingAsync();
        await using (var conn = portal.Superuser())
            await conn.ExecAsync("update appointments set status = 'cancelled' where id = @appointment", new { appointment });
        using var browser = portal.CreateClient();

        var response = await browser.GetAsync(path);

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Contains("was cancelled", await response.Content.ReadAsStringAsync());
        Assert.Equal("cancelled", await StatusAsync(appointment));
    }

    [Fact]
    public async Task Staff_bookings_are_confirmed_at_once_and_get_no_text()
    {
        var clinic = await portal.CreateClinicAsync();
        var booker = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<ClinicPortal.Features.Booking.Booker>(portal.Services);
        var outcome = await booker.BookAsync(clinic.Id, new ClinicPortal.Features.Booking.BookingRequest("dr-a",
            NodaTime.LocalDate.FromDateTime(DateTime.Parse(Dates.Upcoming(DayOfWeek.Thursday))), new NodaTime.LocalTime(9, 0), null, "Walk In", Phones.Unique()),
            new ClinicPortal.Features.Booking.Requester("staff:test", "staff"));

        Assert.IsType<ClinicPortal.Features.Booking.BookingOutcome.Booked>(outcome);
        Assert.Equal(0, await clinic.CountAsync("sms_messages"));
        Assert.Equal(1, await clinic.CountAsync("appointments", "status = 'confirmed'"));
    }

    [GeneratedRegex(@"https?://[^/\s]+(/c/[A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])")]
    private static partial Regex Link();
}

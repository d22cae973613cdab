using System.Text.RegularExpressions;
using ClinicPortal.Features.Appointments;
using ClinicPortal.Features.Messages;
using ClinicPortal.TestSupport;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Messages;

/// <summary>Texts and links that cannot be abused: tokens kept only as hashes, unconfirmed slots given back, texts to mobiles at home, a daily cap.</summary>
[Collection(PortalCollection.Name)]
public sealed class SafeTextTests(ClinicPortalFactory portal)
{
    private static string TokenOf(string body) => Regex.Match(body, "/c/([A-Za-z0-9_-]{32})").Groups[1].Value;

    private async Task<(TestClinic Clinic, Guid Appointment, string Phone, FakeTwilio.Message Text)> VoiceBookingAsync(string time = "15:30")
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        var booked = await clinic.BookAsync("dr-b", Dates.Upcoming(DayOfWeek.Wednesday), time, phone: phone);
        return (clinic, booked.GetProperty("appointment_id").GetGuid(), phone, Assert.Single(await portal.Twilio.WaitForAsync(phone)));
    }

    [Fact]
    public async Task A_links_token_is_stored_nowhere_but_as_its_hash_and_staff_see_it_masked()
    {
        var (clinic, _, phone, text) = await VoiceBookingAsync();
        var token = TokenOf(text.Body);
        Assert.NotEmpty(token);

        await using var su = portal.Superuser();
        var found = await su.ScalarAsync<long>("""
            select (select count(*) from sms_messages where position(@token in body) > 0 or position(@token in ref) > 0)
                 + (select count(*) from app_secrets where position(@token in protected) > 0)
                 + (select count(*) from events where position(@token in payload::text) > 0)
                 + (select count(*) from audit_log where position(@token in detail::text) > 0)
            """, new { token });
        Assert.Equal(0L, found);
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from confirmation_tokens where token_hash = sha256(convert_to(@token, 'UTF8'))", new { token }));

        var (rows, _) = await portal.Services.GetRequiredService<MessageStore>().SearchAsync(clinic.Id, phone, null, 0, 10);
        var shown = Assert.Single(rows).Body;
        Assert.Contains("/c/" + LinkTokens.Mask, shown);
        Assert.DoesNotContain(token, shown);
    }

    [Fact]
    public async Task A_resent_confirmation_carries_a_new_link()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        portal.Twilio.Script(phone, new FakeTwilio.Behaviour.Refuse(400, 30008, "Unknown error"));
        await clinic.BookAsync("dr-b", Dates.Upcoming(DayOfWeek.Wednesday), "16:00", phone: phone);
        var store = portal.Services.GetRequiredService<MessageStore>();
        Guid failed = default;
        for (var i = 0; i < 100 && failed == default; i++, await Task.Delay(100))
            failed = (await store.SearchAsync(clinic.Id, phone, "failed", 0, 10)).Rows.FirstOrDefault()?.Id ?? default;
        Assert.NotEqual(default, failed);

        Assert.Equal("queued", await store.ResendAsync(clinic.Id, failed, "staff:test"));
        var resent = Assert.Single(await portal.Twilio.WaitForAsync(phone));
        var token = TokenOf(resent.Body);
        Assert.NotEmpty(token);
        await using var su = portal.Superuser();
        Assert.Equal(2L, await su.ScalarAsync<long>("select count(*) from confirmation_tokens where clinic_id = @Id", new { clinic.Id }));
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from confirmation_tokens where token_hash = sha256(convert_to(@token, 'UTF8'))", new { token }));
    }

    [Fact]
    public async Task An_unconfirmed_voice_booking_gives_its_slot_back_when_its_link_expires()
    {
        var (clinic, appointment, _, _) = await VoiceBookingAsync("11:00");
        await using (var su = portal.Superuser())
            await su.ExecAsync("update confirmation_tokens set expires_at = now() - interval '1 second' where appointment_id = @appointment", new { appointment });

        Assert.True(await portal.Services.GetRequiredService<UnconfirmedExpiry>().SweepAsync() >= 1);

        Assert.Equal(1L, await clinic.CountAsync("appointments", $"id = '{appointment}' and status = 'cancelled'"));
        Assert.Equal(1L, await clinic.CountAsync("audit_log", $"action = 'appointment.expired' and subject_id = '{appointment}' and actor = 'confirmation-expiry'"));
        Assert.Equal(1L, await clinic.CountAsync("events", $"kind = 'cancellation' and payload ->> 'appointment_id' = '{appointment}'"));
        var again = await clinic.BookAsync("dr-b", Dates.Upcoming(DayOfWeek.Wednesday), "11:00", phone: Phones.Unique());
        Assert.Equal("booked", again.GetProperty("status").GetString()); // the slot is free again
    }

    [Fact]
    public async Task A_clinic_that_turns_expiry_off_keeps_its_unconfirmed_bookings()
    {
        var (clinic, appointment, _, _) = await VoiceBookingAsync("12:00");
        await using (var su = portal.Superuser())
        {
            await su.ExecAsync("update clinics set expire_unconfirmed = false where id = @Id", new { clinic.Id });
            await su.ExecAsync("update confirmation_tokens set expires_at = now() - interval '1 second' where appointment_id = @appointment", new { appointment });
        }

        await portal.Services.GetRequiredService<UnconfirmedExpiry>().SweepAsync();

        Assert.Equal(1L, await clinic.CountAsync("appointments", $"id = '{appointment}' and status = 'pending'"));
    }

    [Fact]
    public async Task A_mobile_abroad_gets_no_text_unless_the_clinic_allows_any_country()
    {
        var clinic = await portal.CreateClinicAsync();
        var french = "+3361234" + Random.Shared.Next(1000, 9999);
        var booked = await clinic.BookAsync("dr-b", Dates.Upcoming(DayOfWeek.Thursday), "10:00", phone: french);
        Assert.Equal("booked", booked.GetProperty("status").GetString());
        Assert.Equal(0L, await clinic.CountAsync("sms_messages"));

        await using (var su = portal.Superuser())
            await su.ExecAsync("update clinics set sms_any_country = true where id = @Id", new { clinic.Id });
        await clinic.BookAsync("dr-b", Dates.Upcoming(DayOfWeek.Thursday), "11:00", phone: french);
        Assert.Equal(1L, await clinic.CountAsync("sms_messages", $"to_phone = '{french}' and kind = 'confirmation'"));
    }

    [Fact]
    public async Task A_number_gets_no_more_texts_in_a_day_than_the_clinics_cap()
    {
        var clinic = await portal.CreateClinicAsync();
        await using (var su = portal.Superuser())
            await su.ExecAsync("update clinics set sms_daily_cap = 2 where id = @Id", new { clinic.Id });
        var caller = Phones.Unique();

        for (var i = 0; i < 3; i++) await clinic.EndCallAsync("call-cap-" + Guid.NewGuid(), caller);

        Assert.Equal(2L, await clinic.CountAsync("sms_messages", $"to_phone = '{caller}' and status <> 'capped'"));
        Assert.Equal(1L, await clinic.CountAsync("sms_messages", $"to_phone = '{caller}' and status = 'capped' and error_message like '%daily cap%'"));
        await Task.Delay(1500);
        Assert.Equal(2, portal.Twilio.MessagesTo(caller).Count);
    }
}

using Microsoft.Extensions.Options;

namespace ClinicPortal.Features.Messages;

public static class MessagingRegistration
{
    /// <summary>The outbox and its dispatcher, Twilio's client and callbacks, the staff view, the public pages' stores.</summary>
    public static IServiceCollection AddMessaging(this IServiceCollection s, IConfiguration config)
    {
        s.AddOptions<TwilioOptions>().Bind(config.GetSection("Twilio"));
        s.AddOptions<SmsOptions>().Bind(config.GetSection("Sms"));
        s.AddTransient<TwilioBaseUrlHandler>();
        s.AddHttpClient<TwilioClient>((sp, http) => http.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<TwilioOptions>>().Value.TimeoutSeconds))
            .AddHttpMessageHandler<TwilioBaseUrlHandler>();
        s.AddSingleton<SmsTexts>();
        s.AddSingleton<LinkTokens>();
        s.AddSingleton<FollowUps>();
        s.AddSingleton<SmsDispatcher>();
        s.AddHostedService(sp => sp.GetRequiredService<SmsDispatcher>());
        s.AddSingleton<MessageStore>();
        s.AddSingleton<Appointments.AppointmentConfirmations>();
        s.AddSingleton<Appointments.UnconfirmedExpiry>();
        s.AddHostedService(sp => sp.GetRequiredService<Appointments.UnconfirmedExpiry>());
        return s;
    }
}

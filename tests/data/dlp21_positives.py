"""Round dlp21's positives, written by hand (see dlp21_build.py).

Each value is marked ``⟦CODE|value⟧`` (CODE: E e-mail, P phone, C card, S SSN, I IBAN, IP address, K private key,
AWS, GH GitHub, SL Slack, GK Google API key, JWT, API token, G generic secret, X any secret type); the builder removes
the marks and records each value's exact span. A tuple ``(text, note)`` is contested: recorded, not scored.
"""

# ruff: noqa: E501

import base64
import json


def _b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def _basic(user_pass: str) -> str:
    return base64.b64encode(user_pass.encode()).decode()


JWT1 = (
    _b64url({"alg": "RS256", "kid": "k-2026-11", "typ": "JWT"})
    + "."
    + _b64url({"sub": "u-48213", "iss": "https://id.acme.io", "exp": 1765104932})
    + ".Qm9yZWQ_c2lnbmF0dXJlX3RoYXRfaXNfNDNfY2hhcnM"
)
JWT2 = (
    _b64url({"alg": "HS256", "typ": "JWT"})
    + "."
    + _b64url({"user_id": 771, "role": "admin", "iat": 1765101332})
    + ".x7Kq2mZp9RtLw4Nv8BcYd3Hs6Jf1Ge5Ua0Ti-Oe_Wr4"
)
BASIC1 = _basic("svc-report:Tr0ub4dor&3xK")
BASIC2 = _basic("admin:Wq8!zLp2vN")
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAv3l9Vd0u0bq9nQ6KpXj1sWm2tC8hY4rG7eF5dA3cB1zX9wV7\n"
    "uT5sR3qP1oN9mL7kJ5iH3gF1eD9cB7aZ5yX3wV1uT9sR7qP5oN3mL1kJ9iH7gF5e\n"
    "-----END RSA PRIVATE KEY-----"
)
OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACB4Zk9yV2xqT3pQcG1kN3ZrR0t4c1h6Wm1mQ2l0a0p3UwAAAJi7x2k1u8dp\n"
    "-----END OPENSSH PRIVATE KEY-----"
)

POSITIVES: list = [
    # --- e-mail threads: quoted replies and signatures ---
    "On Mon, Dec 7, 2026 at 9:14 AM Priya Raman <⟦E|priya.raman@northwind-labs.com⟧> wrote:\n> Can we move it?",
    "> From: Jonas Becker [mailto:⟦E|j.becker@fahrzeugbau-sued.de⟧]\n> Sent: Monday, 7 December 2026 08:02\n> Subject: Angebot",
    "--\nMaría José Fernández\nDirectora Comercial\nTel. ⟦P|+34 912 345 678⟧ | Móvil ⟦P|+34 612 34 56 78⟧\n⟦E|mj.fernandez@iberotrans.es⟧",
    "Best,\nTom Okafor | Account Executive\nM: ⟦P|(415) 555-2671⟧ | E: ⟦E|tom.okafor@brightpath.io⟧",
    ">> Please call me back on ⟦P|07911 123456⟧ after 5pm\n> Will do.\nCalled, no answer.",
    "Cordialement,\nSophie Martin\nTél. : ⟦P|01 42 68 53 00⟧\nPortable : ⟦P|06 12 34 56 78⟧",
    "Mit freundlichen Grüßen\nKlaus Weber\nTel.: ⟦P|+49 30 901820⟧\nMobil: ⟦P|0151 23456789⟧\nE-Mail: ⟦E|k.weber@stadtwerke-nord.de⟧",
    'Reply-To: "Billing" <⟦E|billing+eu@acme-payments.com⟧>\nCc: ⟦E|finance.ops@acme-payments.com⟧',
    "> > On 06/12/2026 Ana wrote:\n> > my new address is ⟦E|ana.souza@provedor.com.br⟧\n> noted",
    "Atenciosamente,\nRicardo Alves\n⟦P|+55 11 91234-5678⟧ (WhatsApp)\n⟦E|ricardo.alves@construtora-sp.com.br⟧",
    "Thanks! -- sent via ⟦E|o'brien.kate@dublin-consulting.ie⟧ (please update your contacts)",
    'From: "Lee, Min-jun" <⟦E|minjun.lee@hanbit-tech.co.kr⟧>\nTo: team\nSubject: Re: schedule',
    # --- support tickets ---
    "Ticket #4829173: customer says card ⟦C|4012 8888 8888 1881⟧ was charged twice on 2026-12-05.",
    "Caller gave SSN ⟦S|536-22-8714⟧ to verify; agent should not have typed it here.",
    "Customer callback number: ⟦P|+1 646 555 0142⟧, best after 3pm EST. Email ⟦E|d.nguyen@gmail.com⟧",
    "User pasted: 'my card is ⟦C|5200828282828210⟧ exp 04/28 cvv 123 why is it declined'",
    "Zendesk #231447 – requester ⟦E|helpdesk-user.2291@outlook.com⟧, phone ⟦P|020 7946 0958⟧",
    "Refund to IBAN ⟦I|GB29 NWBK 6016 1331 9268 19⟧ requested by customer (order W2378156).",
    "Login failures from ⟦IP|185.220.101.47⟧ for user id 88123 (47 attempts in 5 min).",
    "Customer wrote: SSN is ⟦S|432 90 1187⟧ and DOB 1984-03-12, please update my file",
    "Please reset MFA for ⟦E|k.sato@kaisha.co.jp⟧; her desk phone is ⟦P|+81 3-1234-5678⟧.",
    # --- CRM / ERP exports ---
    "contact_id,first_name,last_name,email,phone\n10042,Jane,Doe,⟦E|jane.doe@example.com⟧,⟦P|+1-212-555-0187⟧",
    "Name;E-Mail;Telefon;IBAN\nMüller, Hans;⟦E|hans.mueller@web.de⟧;⟦P|089 12345678⟧;⟦I|DE89 3704 0044 0532 0130 00⟧",
    "| Customer | Email | Card |\n|---|---|---|\n| Acme | ⟦E|ap@acme-corp.com⟧ | ⟦C|4111 1111 1111 1111⟧ |",
    '"lead_id","email","mobile"\n"00Q5g000001AbCd","⟦E|lucas.martin@orange.fr⟧","⟦P|+33 6 12 34 56 78⟧"',
    "vendor_no|name|iban|bic\n700123|Bouw BV|⟦I|NL91ABNA0417164300⟧|ABNANL2A",
    '{"customer":{"id":48213,"email":"⟦E|chen.wei@163.com⟧","phone":"⟦P|+86 138 0013 8000⟧","tier":"gold"}}',
    "employee_id,ssn,salary\nE-1042,⟦S|219-45-6612⟧,84000\nE-1043,⟦S|078-12-3456⟧,91000",
    "Debitor 100423: SEPA-Mandat, IBAN ⟦I|AT61 1904 3002 3457 3201⟧, BIC BKAUATWW",
    "Lieferant 700124 Bankverbindung: ⟦I|CH93 0076 2011 6238 5295 7⟧ (UBS)",
    # --- HL7 / FHIR-like medical messages ---
    "PID|1||MRN48213^^^HOSP^MR||DOE^JANE^A||19840312|F|||12 MAIN ST^^BOSTON^MA^02110||⟦P|(617)555-0142⟧|||||⟦S|536-22-8714⟧",
    "NK1|1|DOE^JOHN|SPO|12 MAIN ST^^BOSTON^MA^02110|⟦P|617-555-0199⟧",
    '{"resourceType":"Patient","telecom":[{"system":"phone","value":"⟦P|+1 617 555 0142⟧"},{"system":"email","value":"⟦E|jane.doe@patientmail.org⟧"}]}',
    '{"resourceType":"Patient","identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"⟦S|432-90-1187⟧"}]}',
    "Discharge summary: pt can be reached at ⟦P|+44 7911 123456⟧; GP email ⟦E|gp.surgery@nhs.net⟧",
    "ORC|NW|PLC-48213|||||||20261207||||||⟦P|(212) 555-0147⟧",
    "Befund an Hausarzt Dr. Schulz, Fax ⟦P|+49 89 1234567⟧, E-Mail ⟦E|praxis.schulz@t-online.de⟧",
    # --- bank statements and payment messages ---
    ":50K:/⟦I|DE89370400440532013000⟧\nMAX MUSTERMANN\n:59:/⟦I|FR1420041010050500013M02606⟧\nJEAN DUPONT",
    "<DbtrAcct><Id><IBAN>⟦I|ES9121000418450200051332⟧</IBAN></Id></DbtrAcct><CdtrAcct><Id><IBAN>⟦I|IT60X0542811101000000123456⟧</IBAN></Id></CdtrAcct>",
    "Überweisung an ⟦I|DE02 1203 0000 0000 2020 51⟧, Verwendungszweck Miete Dezember, 1.150,00 €",
    "Virement SEPA vers ⟦I|FR76 3000 6000 0112 3456 7890 189⟧ — réf. LOYER-12",
    "Transferencia a ⟦I|ES79 2100 0813 6101 2345 6789⟧, concepto: factura 2026-0815",
    "Transferência para ⟦I|PT50 0002 0123 1234 5678 9015 4⟧ (NIB), valor 250,00 €",
    "Beneficiary IBAN: ⟦I|BE68 5390 0754 7034⟧ / BIC: GKCCBEBB / amount EUR 1,250.00",
    "Pay to ⟦I|IE29 AIBK 9311 5212 3456 78⟧ by 15 Dec; ref INV-2026-0087",
    "Przelew na ⟦I|PL61 1090 1014 0000 0712 1981 2874⟧, tytułem: faktura 12/2026",
    "Konto: ⟦I|SE45 5000 0000 0583 9825 7466⟧, belopp 4 500,00 kr",
    "Betaling til ⟦I|NO93 8601 1117 947⟧ og ⟦I|DK50 0040 0440 1162 43⟧",
    "Tilisiirto ⟦I|FI21 1234 5600 0007 85⟧, viite 12345 67890",
    "IBAN ⟦I|LU28 0019 4006 4475 0000⟧, Swift BCEELULL",
    "Card payment 07.12. VISA ⟦C|4917 6100 0000 0000⟧ Amazon EU 42,99 EUR",
    "Statement for account ⟦I|GB33BUKB20201555555555⟧, period 01-30 Nov 2026",
    "حوالة إلى ⟦I|SA03 8000 0000 6080 1016 7519⟧ بمبلغ 5,000 ريال",
    "Transfer to ⟦I|AE07 0331 2345 6789 0123 456⟧ (Emirates NBD)",
    "Havale: ⟦I|TR33 0006 1005 1978 6457 8413 26⟧, tutar 1.500 TL",
    "MT103 :59:/⟦I|CH9300762011623852957⟧\nHANS MUSTER\nZUERICH",
    # --- travel itineraries and boarding passes ---
    "Passenger contact: ⟦E|jane.doe+travel@example.com⟧, mobile ⟦P|+1 415 555 2671⟧, PNR X7K2QM",
    "Booking confirmed for Mr. Arjun Mehta, ⟦P|+91 98765 43210⟧, ⟦E|arjun.mehta@rediffmail.com⟧",
    "Hotel folio 84273619 paid by ⟦C|3782 822463 10005⟧ (AMEX), guest phone ⟦P|+52 55 1234 5678⟧",
    "Emergency contact during trip: ⟦P|+61 412 345 678⟧ (Sydney)",
    "Reserva 4K7QX2: titular ⟦E|lucia.garcia@telefonica.net⟧, teléfono ⟦P|+34 600 123 456⟧",
    "Car rental deposit on card ⟦C|5413 3300 1234 5675⟧, driver licence on file",
    # --- legal contracts ---
    "Notices shall be sent to the Supplier at ⟦E|legal@supplier-holdings.com⟧ and by fax to ⟦P|+1 (212) 555-0143⟧.",
    "Der Kaufpreis ist auf das Konto ⟦I|DE75 5121 0800 1245 1261 99⟧ zu überweisen.",
    "Le Bailleur : Mme Claire Dubois, joignable au ⟦P|06 98 76 54 32⟧ ou à ⟦E|claire.dubois@free.fr⟧.",
    "Signed by the Employee, SSN ⟦S|219-45-6612⟧, on December 7, 2026.",
    "El arrendatario señala como domicilio electrónico ⟦E|pablo.ruiz@correo.es⟧ y teléfono ⟦P|912 345 678⟧.",
    # --- academic (corresponding authors) ---
    "*Corresponding author: ⟦E|m.schneider@uni-heidelberg.de⟧ (M. Schneider). doi:10.1038/s41586-020-2649-2",
    "Correspondence to Y. Tanaka (⟦E|tanaka.yuki@u-tokyo.ac.jp⟧), tel. ⟦P|+81 3 5841 0000⟧",
    "arXiv:2106.09685 — contact ⟦E|e.hu@microsoft.com⟧ for the code",
    # --- telemetry / logs carrying PII ---
    'http_requests_total{client_ip="⟦IP|203.0.113.45⟧",path="/login"} 12',
    "api.login.failed:1|c|#user:⟦E|ops.admin@acme.io⟧,ip:⟦IP|198.51.100.23⟧",
    '{"level":"warn","msg":"rate limited","remote_addr":"⟦IP|2001:db8:85a3::8a2e:370:7334⟧","count":48}',
    "sshd[48213]: Failed password for root from ⟦IP|45.83.64.12⟧ port 52114 ssh2",
    "audit: user=⟦E|j.smith@corp.example⟧ action=export rows=1204 src=⟦IP|10.20.4.17⟧",
    # --- crash dumps with secrets or PII in environment ---
    "Environment:\n  PATH=/usr/bin\n  DATABASE_URL=postgres://app:⟦G|Kx9vZ82mQ4tL⟧@db.internal:5432/orders",
    "env dump: HOME=/root AWS_ACCESS_KEY_ID=⟦AWS|AKIA2QXHZ7LM4RBT6YKW⟧ LANG=C.UTF-8",
    "Core dump of worker (uid 1000): argv[3]=--token argv[4]=⟦GH|ghp_8xK2mQ9vLp4Rt7Nw3Bz6Yc1Hd5Jf0Ge2Ua8s⟧",
    # --- network configs with host addresses ---
    "default via ⟦IP|10.20.0.1⟧ dev eth0 proto dhcp src ⟦IP|10.20.4.17⟧ metric 100",
    "interface Vlan10\n ip address ⟦IP|172.16.10.1⟧ 255.255.255.0\n ip helper-address ⟦IP|172.16.1.5⟧",
    "neighbor ⟦IP|192.0.2.1⟧ remote-as 65001\nneighbor ⟦IP|2001:db8::1⟧ remote-as 65002",
    "[Interface]\nAddress = ⟦IP|10.8.0.2⟧/32\nPrivateKey = ⟦G|yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=⟧",
    "Peer: endpoint ⟦IP|203.0.113.7⟧:51820, allowed-ips 10.8.0.0/24",
    "nameserver ⟦IP|8.8.8.8⟧\nnameserver ⟦IP|2606:4700:4700::1111⟧",
    "arp -a: ? (⟦IP|192.168.1.23⟧) at 3c:22:fb:9a:11:0e [ether] on wlan0",
    "ifconfig eth0: inet ⟦IP|192.168.178.42⟧ netmask 0xffffff00 broadcast 192.168.178.255",
    "link-local ⟦IP|fe80::1c2b:3dff:fe4e:5f60⟧%en0 prefixlen 64",
    # --- cloud: secrets beside resource ids ---
    "arn:aws:iam::123456789012:user/ci-deployer\naws_access_key_id = ⟦AWS|AKIAZ4XQ7L2M3N5P6R7T⟧",
    "az login --service-principal -u 04b07795-8ddb-461a-bbee-02f9e1bf7b46 -p ⟦X|Xq8~Zt3.Lm2Kp9Rw4Vn7Bc1Hd6Jf0Ge5Ua_Ti⟧ --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47",
    "DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=⟦X|q3Lm9Xz2Kp7Rw4Vn1Bc6Hd8Jf0Ge5Ua2Ti9Oe3Wr7Yq1Zs4Xv6Nb8Mc0Kd2Lf5Pg7Rh9Sj1Tk3Ul5Vm7Wn9Xo==⟧;EndpointSuffix=core.windows.net",
    'GCP key file: "private_key_id": "⟦G|4f2a9c8e7b6d5a4f3e2d1c0b9a8f7e6d5c4b3a29⟧", "project_id": "acme-prod"',
    "google maps key ⟦GK|AIzaSyB3xK9mQ2vLp7Rt4Nw8Bz1Yc6Hd0Jf5Ge2⟧ restricted to *.acme.io",
    # --- JWTs, Basic auth, connection strings ---
    "Authorization: Bearer ⟦JWT|" + JWT1 + "⟧",
    'curl -H "Authorization: Basic ⟦X|' + BASIC1 + '⟧" https://api.acme.io/v1/reports',
    "Cookie: session=⟦JWT|" + JWT2 + "⟧; theme=dark",
    'proxy_set_header Authorization "Basic ⟦X|' + BASIC2 + '⟧";',
    "mongodb+srv://admin:⟦G|S3cur3Pa55w0rdX⟧@cluster0.ab1cd.mongodb.net/prod?retryWrites=true",
    "Server=tcp:acme.database.windows.net,1433;Database=orders;User ID=sa;Password=⟦G|Q7mz2kLpX4rT⟧;Encrypt=True;",
    "jdbc:mysql://db.internal:3306/app?user=root&password=⟦G|Xk29abzQ71mN⟧&useSSL=true",
    "redis://:⟦G|p4ssW0rdX9Lm⟧@cache.internal:6379/0",
    "amqp://orders:⟦G|R4bb1tMQ2026x⟧@mq.internal:5672/%2F",
    "spring.datasource.password=⟦G|Hk82jD93mXz1⟧",
    "ftp://backup:⟦G|Bk9up2026Zq⟧@files.example.net/nightly/",
    # --- other secret families ---
    "slack bot token ⟦SL|xoxb-482913570246-1234567890123-Ab3dEf6hIj9lMn2pQr5tUv8x⟧ (rotate!)",
    "OPENAI_API_KEY=⟦API|sk-proj-Xq8Zt3Lm2Kp9Rw4Vn7Bc1Hd6Jf0Ge5Ua2Ti9Oe3Wr7Yq1Zs4Xv⟧",
    'stripe.api_key = "⟦API|sk_live_51Nv8xJ2eZvKYlo2CQm9Rw4Vn7Bc1Hd6Jf0Ge⟧"',
    "git remote set-url origin https://oauth2:⟦API|glpat-Xq8Zt3Lm2Kp9Rw4Vn7Bc⟧@gitlab.com/acme/api.git",
    "HF_TOKEN=⟦API|hf_Xq8Zt3Lm2Kp9Rw4Vn7Bc1Hd6Jf0Ge5Ua2T⟧ huggingface-cli login",
    "npm config set //registry.npmjs.org/:_authToken ⟦API|npm_Xq8Zt3Lm2Kp9Rw4Vn7Bc1Hd6Jf0Ge5Ua2Tb9⟧",
    "key file:\n" + "⟦K|" + PEM + "⟧",
    "id_ed25519:\n⟦K|" + OPENSSH + "⟧",
    "ANTHROPIC_API_KEY: ⟦API|sk-ant-api03-Xq8Zt3Lm2Kp9Rw4Vn7Bc1Hd6Jf0Ge5Ua2Ti9Oe3Wr7Yq1Zs4XvAA⟧",
    "SENDGRID_API_KEY=⟦API|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⟧",
    # --- non-English documents: addresses and phone formats ---
    "Ansprechpartner: Frau Schmidt, Tel. ⟦P|030 12345678⟧, Hauptstraße 12, 10115 Berlin",
    "Service-Hotline: ⟦P|0800 123 4567⟧ (kostenlos), E-Mail: ⟦E|service@stadtwerke-beispiel.de⟧",
    "Rufnummer: ⟦P|+49 (0)221 12345678⟧, Durchwahl -12",
    "Contact : ⟦P|+33 (0)1 42 68 53 00⟧ — 12 rue de Rivoli, 75004 Paris",
    "Téléphone : ⟦P|04.91.12.34.56⟧ ; courriel : ⟦E|accueil@mairie-exemple.fr⟧",
    "Llámenos al ⟦P|+34 93 123 45 67⟧ o escríbanos a ⟦E|atencion@tienda-ejemplo.es⟧",
    "Teléfono: ⟦P|(55) 1234 5678⟧, Ciudad de México — escribir a ⟦E|contacto@empresa.com.mx⟧",
    "Telefone: ⟦P|(11) 3456-7890⟧, celular ⟦P|(21) 98765-4321⟧, São Paulo",
    "Contacto: ⟦P|+351 21 123 4567⟧ ou ⟦P|+351 912 345 678⟧, Lisboa",
    "お問い合わせ：電話 ⟦P|03-1234-5678⟧ メール ⟦E|info@example.co.jp⟧",
    "担当：山田 携帯：⟦P|090-1234-5678⟧",
    "संपर्क करें: फ़ोन ⟦P|+91 11 2334 5678⟧, ईमेल ⟦E|seva@example.in⟧",
    "मोबाइल नंबर ⟦P|+91-98765-43210⟧ पर कॉल करें",
    "Telefono: ⟦P|+39 06 1234 5678⟧, cellulare ⟦P|+39 312 345 6789⟧",
    "Telefoon: ⟦P|+31 20 123 4567⟧, e-mail ⟦E|info@bedrijf.nl⟧",
    "Телефон: ⟦P|+7 495 123-45-67⟧, почта ⟦E|ivan.petrov@yandex.ru⟧",
    "Tel. ⟦P|+43 1 58858-0⟧, ⟦E|office@firma.at⟧",
    "Kontakt: ⟦P|+41 44 668 18 00⟧ (Zürich)",
    "E-post: ⟦E|anna.lindqvist@foretag.se⟧, tel ⟦P|+46 8 123 456 78⟧",
    # --- right-to-left text ---
    "للتواصل: ⟦E|ahmed.k@example.ae⟧ أو ‎⟦P|+971 50 123 4567⟧‎",
    "‏رقم الهاتف: ⟦P|+966 50 123 4567⟧‏ — البريد ⟦E|sara@example.sa⟧",
    'טלפון: ⟦P|+972 3-612-3456⟧, דוא"ל: ⟦E|dana@example.co.il⟧',
    "‫כתובת ה-IP: ⟦IP|203.0.113.9⟧‬",
    "عنوان IP الخادم ⟦IP|198.51.100.77⟧ محظور",
    # --- values split by markup or line breaks ---
    "Card: <b>⟦C|4111</b> 1111 1111 1111⟧",
    "Card: **⟦C|4111** 1111 1111 1111⟧",
    '<p>Email: <a href="mailto:⟦E|jane.doe@example.com⟧">⟦E|jane.doe@example.com⟧</a></p>',
    "<td>SSN</td><td>⟦S|536-22-8714⟧</td>",
    "Ihre IBAN: <strong>⟦I|DE89 3704 0044 0532 0130 00⟧</strong>",
    "`⟦E|jane.doe@example.com⟧` is the reviewer",
    "phone: <span>⟦P|+1 415 555 2671⟧</span>",
    # --- URL-encoded and JSON-escaped values ---
    "GET /unsubscribe?email=⟦E|jane%40example.com⟧&list=weekly HTTP/1.1",
    "https://crm.acme.io/search?q=⟦E|maria.lopez%40empresa.es⟧&type=contact",
    r'{"email":"⟦E|t.nguyen\u0040outlook.com⟧","plan":"pro"}',
    r'{"phone":"⟦P|\u002B44 20 7946 0958⟧"}',
    "callback?phone=⟦P|%2B1%20415%20555%202671⟧&lang=en",
    "mailto:⟦E|support%40acme.io⟧?subject=Refund",
    r'"contact":"⟦E|ana.souza\u0040provedor.com.br⟧"',
    '<input value="⟦E|jane&#64;example.com⟧">',
    # --- more carriers: chats, forms, tables ---
    "hey can u send the invoice to ⟦E|bob.miller88@yahoo.com⟧ thx",
    "my number changed, its ⟦P|(312) 555-0198⟧ now",
    "SSN: ⟦S|536 22 8714⟧ (from the W-2)",
    "W-9: TIN/SSN ⟦S|432-90-1187⟧, name Robert Miller",
    "ssn=⟦S|219456612⟧&dob=1990-01-01",
    "Social Security Number ⟦S|078-12-3456⟧ on the enrolment form",
    "Paid with ⟦C|6011 1111 1111 1117⟧ (Discover), auth 048213",
    "cc: ⟦C|3530111333300000⟧ (JCB)",
    "diners ⟦C|3056 930902 5904⟧",
    "card number ⟦C|2223-0031-2200-3222⟧ exp 11/27",
    "VISA ⟦C|4222222222222⟧ (old 13-digit card)",
    "Maestro ⟦C|5599 0012 3456 7893⟧",
    "paste from PDF: card ⟦C|4508.7576.8990.0029⟧",
    "pan=⟦C|4532015112833642⟧",
    "login from ⟦IP|81.2.69.142⟧ (GB) at 08:14",
    "X-Forwarded-For: ⟦IP|203.0.113.195⟧, ⟦IP|70.41.3.18⟧, ⟦IP|150.172.238.178⟧",
    "client [⟦IP|2001:db8:4006:812::200e⟧]:443 reset the connection",
    "IP is⟦IP|192.168.1.1⟧ and gw is ⟦IP|192.168.1.254⟧",
    "host=⟦IP|10.0.12.5⟧;port=5432",
    # --- secrets in configs and chat ---
    "DB_PASSWORD=⟦G|hX7k2Pq9Lm4Z⟧",
    "the wifi password is ⟦G|Gr33nT3a!2026⟧",
    "Das Passwort lautet ⟦G|Sommer2026!x⟧",
    "Le mot de passe est ⟦G|Soleil2026#Paris⟧",
    "La contraseña es ⟦G|Madrid2026$Sol⟧",
    "A senha é ⟦G|Brasil2026@Rio⟧",
    'password: "⟦G|correct horse battery staple⟧"',
    "CREATE USER report WITH PASSWORD '⟦G|R3p0rt!2026x⟧';",
    "curl -u admin:⟦G|Adm1nP4ss2026⟧ https://jenkins.internal/api/json",
    "<password>⟦G|Xk82mQ9zLp4R⟧</password>",
    '  - name: POSTGRES_PASSWORD\n    value: "⟦G|pg9Xk2Lm4Qz7⟧"',
    "api_key: ⟦G|9f8e7d6c5b4a39281706f5e4d3c2b1a0⟧",
    "x-api-key: ⟦G|a8F3kL9mQ2xZ7pR4tV6wY1bN5cJ0dH3e⟧",
]

# phone numbers of more countries, as their people write them internationally
POSITIVES += [
    "Subject: Your order\n\nHi, your receipt was sent to ⟦E|m.kowalski@wp.pl⟧ and the courier will call ⟦P|+48 512 345 678⟧.",
    "Contacto de emergencia: ⟦P|+52 33 1234 5678⟧",
    "Hotline ⟦P|1-800-555-0199⟧ (toll free)",
    "Call ⟦P|+1 (800) 555-0134⟧ ext. 42",
    "Fax: ⟦P|+44 (0)20 7946 0958⟧",
    "WhatsApp ⟦P|+234 803 123 4567⟧ (Lagos)",
    "Mobile ⟦P|+27 82 123 4567⟧",
    "Tel ⟦P|+65 6123 4567⟧ Singapore office",
    "Contact ⟦P|+353 1 234 5678⟧ Dublin",
    "Ring ⟦P|+64 21 123 4567⟧ NZ",
    "電話番号：⟦P|+81-90-1234-5678⟧",
    "电话：⟦P|+86 10 1234 5678⟧",
    "ติดต่อ ⟦P|+66 2 123 4567⟧",
    "Kontakt: ⟦P|+48 22 123 45 67⟧",
    "Tel: ⟦P|+420 601 123 456⟧",
    "Tlf. ⟦P|+45 32 12 34 56⟧",
    "Puh. ⟦P|+358 40 123 4567⟧",
    "Tel.: ⟦P|+30 21 0123 4567⟧",
    "Tel ⟦P|+90 212 123 45 67⟧",
    "Telefon ⟦P|+36 1 234 5678⟧",
]

# more carriers for e-mail addresses, IBANs and secrets
POSITIVES += [
    "Please contact ⟦E|jane.doe@example.com⟧<mailto:⟦E|jane.doe@example.com⟧> for access.",
    "[⟦E|r.gupta@infra-team.in⟧](mailto:⟦E|r.gupta@infra-team.in⟧) owns the runbook",
    "From: =?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <⟦E|jose.garcia@empresa.es⟧>",
    "PID|1||48213||DOE^JANE||||||||^NET^Internet^⟦E|jane.doe@patientmail.org⟧",
    "CONTACT: ⟦E|J.SMITH@ACME-CORP.COM⟧ / ⟦P|+1 312 555 0198⟧",
    "メール：⟦E|tanaka@example.co.jp⟧。よろしくお願いします。",
    "support via ⟦E|help@city-museum.museum⟧ or ⟦E|ops@startup.technology⟧",
    "vCard: EMAIL;TYPE=work:⟦E|lena.fischer@beispiel-ag.de⟧\nTEL;TYPE=cell:⟦P|+49 151 23456789⟧",
    "iban ⟦I|de89 3704 0044 0532 0130 00⟧ pls",
    "IBAN:⟦I|DE89370400440532013000⟧",
    ":25:⟦I|DE89370400440532013000⟧\n:28C:00123/001\n:60F:C261201EUR1234,56",
    "QR-IBAN ⟦I|CH44 3199 9123 0008 8901 2⟧, Referenz 21 00000 00003 13947 14300 09017",
    '{"iban":"⟦I|NL91ABNA0417164300⟧","bic":"ABNANL2A","amount":"120.00"}',
    "Coordonnées bancaires : IBAN ⟦I|FR76 3000 6000 0112 3456 7890 189⟧ BIC AGRIFRPP",
    "IBAN ⟦I|IT60 X054 2811 1010 0000 0123 456⟧ intestato a Rossi Mario",
    "Konto ⟦I|DE89-3704-0044-0532-0130-00⟧ (mit Bindestrichen)",
    "sqlplus scott/⟦G|Tiger2026xQ⟧@//db.internal:1521/ORCL",
    "jdbc:oracle:thin:scott/⟦G|Tiger2026xQ⟧@db.internal:1521:ORCL",
    "psql 'host=db.internal user=app password=⟦G|Kx9vZ82mQ4tL⟧ dbname=orders sslmode=require'",
    "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db;UID=sa;PWD=⟦G|Q7mz2kLpX4rT⟧;",
    "env: AWS_SECRET_ACCESS_KEY=⟦G|wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9x2LmT4k⟧ AWS_REGION=eu-west-1",
    "smtps://alerts%40acme.io:⟦G|Sm7pP4ss2026x⟧@smtp.acme.io:465",
    "//registry.npmjs.org/:_authToken=⟦G|8b3f2c1d-4e5a-4b6c-9d7e-0f1a2b3c4d5e⟧",
    "https://jane:⟦GH|ghp_8xK2mQ9vLp4Rt7Nw3Bz6Yc1Hd5Jf0Ge2Ua8s⟧@github.com",
    'az ad sp create-for-rbac output: {"appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "password": "⟦G|Xq8~Zt3.Lm2Kp9Rw4Vn7Bc1Hd6Jf0Ge5Ua_Ti⟧", "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47"}',
]

# values wrapped at a line's end (a newline between two of their groups): a value, as a reader sees it
POSITIVES += [
    "Kontonummer:\n⟦I|DE89 3704 0044\n0532 0130 00⟧",
    "Please pay to IBAN ⟦I|GB29 NWBK 6016\r\n1331 9268 19⟧ by Friday.",
    "my card is ⟦C|4111 1111\n1111 1111⟧ exp 12/27",
]

CONTESTED: list[tuple[str, str]] = [
    (
        "> card ⟦C|4111 1111\n> 1111 1111⟧ — as quoted",
        "a card wrapped inside a quoted reply: the quote's '> ' sits between its groups; a DLP user would want it, but no detector reads across a quote prefix",
    ),
    (
        "~/.pgpass: db.internal:5432:orders:app:⟦G|Kx9vZ82mQ4tL⟧",
        "a .pgpass line (host:port:db:user:password) after the file's name: no name of a credential before the value",
    ),
    (
        "טלפון: ⟦P|03-6123456⟧",
        "an Israeli number written nationally: IL is not one of the default phone_regions (by design, see docs/detectors.md)",
    ),
    (
        "ফোন: ⟦P|০১৭১২-৩৪৫৬৭৮⟧",
        "a Bangladeshi mobile in Bengali digits, nationally: BD is not a default region",
    ),
]

"""Deterministic demo catalog for MedSync.

Pure data only: frozen dataclasses and module-level constants. Nothing here
touches the database, imports other ``medsync`` modules, or uses randomness,
so seeding code can read it repeatedly and get exactly the same catalog.
Every ``key`` is a stable slug meant for idempotent (upsert-by-key) seeding.

Conventions
-----------
* Times are local wall-clock times of the clinic's IANA ``timezone`` as
  "HH:MM" strings, always on whole hours.
* ``iso_weekday`` follows ``datetime.isoweekday()``: 1 = Monday .. 7 = Sunday.
  A weekday missing from a clinic's ``hours`` means the clinic is closed.
* All prices are decimal strings in a single currency, UAH (see ``CURRENCY``),
  even for the clinics outside Ukraine -- one currency keeps the demo simple.
* ``validate()`` checks the invariants; it is never called at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Single currency for every price in this module (doctors and diagnostics).
CURRENCY = "UAH"

# Pictures are served by this service itself (same origin as the Mini App): generated avatars until
# real photos are added (see medsync/services/photos.py).
PHOTO_BASE_URL = "/app/photos"


# ---------------------------------------------------------------------------
# Dataclasses
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoHours:
    """Opening hours for one ISO weekday (1=Mon .. 7=Sun), local time."""

    iso_weekday: int
    opens: str  # "HH:MM"
    closes: str  # "HH:MM"
    breaks: tuple[tuple[str, str], ...] = ()  # (("13:00", "14:00"),)


@dataclass(frozen=True)
class DemoClinic:
    key: str
    name: str
    address: str
    timezone: str  # IANA zone name
    hours: tuple[DemoHours, ...]  # days not listed are closed


@dataclass(frozen=True)
class DemoSpecialty:
    key: str
    name: str


@dataclass(frozen=True)
class DemoRating:
    score: int  # 1..5
    comment: str


@dataclass(frozen=True)
class DemoDoctor:
    key: str
    full_name: str
    specialty: str  # DemoSpecialty.key
    clinic: str  # DemoClinic.key
    price: str  # decimal string, UAH
    photo_url: str
    experience: str
    certificates: str  # "\n"-joined lines
    services: str  # "\n"-joined lines
    bio: str
    appointment_minutes: int  # 30 or 60
    ratings: tuple[DemoRating, ...]


@dataclass(frozen=True)
class DemoDiagnostic:
    key: str
    name: str
    description: str
    price: str  # decimal string, UAH
    photo_url: str
    duration_minutes: int  # divides 60
    clinics: tuple[str, ...]  # DemoClinic.key values offering the test


@dataclass(frozen=True)
class DemoClosure:
    """A clinic closure repeating every year, inclusive on both ends.

    ``start``/``end`` are (month, day) pairs. If ``end`` is earlier in the
    calendar than ``start`` the range wraps over New Year (e.g. 31 Dec - 1 Jan).
    """

    clinic: str  # DemoClinic.key
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]  # (month, day)
    reason: str


# ---------------------------------------------------------------------------
# Clinics and weekly hours
# ---------------------------------------------------------------------------

_LUNCH = (("13:00", "14:00"),)


def _week(
    weekday_open: str,
    weekday_close: str,
    saturday: tuple[str, str],
    sunday: tuple[str, str] | None = None,
) -> tuple[DemoHours, ...]:
    days = [
        DemoHours(day, weekday_open, weekday_close, _LUNCH) for day in range(1, 6)
    ]
    days.append(DemoHours(6, saturday[0], saturday[1], ()))
    if sunday is not None:
        days.append(DemoHours(7, sunday[0], sunday[1], ()))
    return tuple(days)


CLINICS: tuple[DemoClinic, ...] = (
    DemoClinic(
        key="kyiv-central",
        name="MedSync Kyiv Central",
        address="45 Velyka Vasylkivska St, Kyiv 03150, Ukraine",
        timezone="Europe/Kyiv",
        # The only clinic open on Sundays.
        hours=_week("08:00", "20:00", ("09:00", "15:00"), ("10:00", "14:00")),
    ),
    DemoClinic(
        key="lviv-center",
        name="MedSync Lviv",
        address="27 Svobody Ave, Lviv 79000, Ukraine",
        timezone="Europe/Kyiv",
        hours=_week("08:00", "19:00", ("09:00", "14:00")),
    ),
    DemoClinic(
        key="warsaw-mokotow",
        name="MedSync Warszawa Mokotów",
        address="ul. Puławska 145, 02-715 Warszawa, Poland",
        timezone="Europe/Warsaw",
        hours=_week("08:00", "20:00", ("09:00", "14:00")),
    ),
    DemoClinic(
        key="almaty-dostyk",
        name="MedSync Almaty Dostyk",
        address="105 Dostyk Ave, Almaty 050051, Kazakhstan",
        timezone="Asia/Almaty",  # no DST
        hours=_week("09:00", "18:00", ("09:00", "13:00")),
    ),
)


# Annually recurring closures (month, day), inclusive; wraps over New Year.
CLOSURES: tuple[DemoClosure, ...] = (
    DemoClosure(
        clinic="warsaw-mokotow",
        start=(12, 31),
        end=(1, 1),
        reason="New Year's Eve and New Year's Day",
    ),
)


# ---------------------------------------------------------------------------
# Specialties
# ---------------------------------------------------------------------------

SPECIALTIES: tuple[DemoSpecialty, ...] = (
    DemoSpecialty("therapist", "Therapist (General Practitioner)"),
    DemoSpecialty("cardiologist", "Cardiologist"),
    DemoSpecialty("neurologist", "Neurologist"),
    DemoSpecialty("dermatologist", "Dermatologist"),
    DemoSpecialty("endocrinologist", "Endocrinologist"),
    DemoSpecialty("gastroenterologist", "Gastroenterologist"),
    DemoSpecialty("ophthalmologist", "Ophthalmologist"),
    DemoSpecialty("otolaryngologist", "Otolaryngologist (ENT)"),
    DemoSpecialty("pediatrician", "Pediatrician"),
    DemoSpecialty("gynecologist", "Gynecologist"),
    DemoSpecialty("urologist", "Urologist"),
    DemoSpecialty("orthopedist", "Orthopedist"),
)


# ---------------------------------------------------------------------------
# Doctors (prices in UAH)
# ---------------------------------------------------------------------------


def _doctor_photo(key: str) -> str:
    return f"{PHOTO_BASE_URL}/doctors/{key}.svg"


def _lines(*items: str) -> str:
    return "\n".join(items)


def _r(*pairs: tuple[int, str]) -> tuple[DemoRating, ...]:
    return tuple(DemoRating(score, comment) for score, comment in pairs)


DOCTORS: tuple[DemoDoctor, ...] = (
    # --- kyiv-central -----------------------------------------------------
    DemoDoctor(
        key="olena-kovalenko",
        full_name="Olena Kovalenko",
        specialty="therapist",
        clinic="kyiv-central",
        price="600.00",
        photo_url=_doctor_photo("olena-kovalenko"),
        experience=(
            "12 years in general practice; previously at Kyiv City Clinical "
            "Hospital No. 1."
        ),
        certificates=_lines(
            "Medical Diploma, Bogomolets National Medical University (2011)",
            "Specialist Certificate in General Practice - Family Medicine, "
            "Shupyk National Healthcare University of Ukraine (2013)",
            "Basic Life Support Provider, European Resuscitation Council (2023)",
        ),
        services=_lines(
            "Initial consultation and physical examination",
            "Management of acute respiratory infections",
            "Annual check-up and preventive screening plan",
            "Interpretation of routine blood and urine tests",
            "Referral to specialists and follow-up coordination",
        ),
        bio=(
            "Dr. Kovalenko is a general practitioner who sees adults with "
            "everyday complaints, from colds to persistent fatigue. She focuses "
            "on preventive care and on coordinating specialist referrals so "
            "patients have one doctor who sees the whole picture."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Attentive and explained every test result."),
            (5, "Quick appointment, clear treatment plan."),
            (4, "Good doctor, waited about 10 minutes."),
            (5, "Finally a GP who listens."),
            (4, "Helpful referral to a cardiologist."),
        ),
    ),
    DemoDoctor(
        key="andrii-shevchuk",
        full_name="Andrii Shevchuk",
        specialty="cardiologist",
        clinic="kyiv-central",
        price="900.00",
        photo_url=_doctor_photo("andrii-shevchuk"),
        experience=(
            "14 years in cardiology; previously at the Amosov National "
            "Institute of Cardiovascular Surgery in Kyiv."
        ),
        certificates=_lines(
            "Medical Diploma, Bogomolets National Medical University (2009)",
            "Specialist Certificate in Cardiology, Shupyk National Healthcare "
            "University of Ukraine (2011)",
            "EACVI Certification in Adult Transthoracic Echocardiography, "
            "European Society of Cardiology (2018)",
        ),
        services=_lines(
            "Cardiology consultation",
            "ECG interpretation",
            "Echocardiography review",
            "Hypertension management",
            "24-hour Holter monitoring analysis",
        ),
        bio=(
            "Dr. Shevchuk treats hypertension, arrhythmias and coronary artery "
            "disease. He pays special attention to cardiovascular risk "
            "assessment and long-term medication plans that patients can "
            "actually follow."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Very thorough, reviewed my echo in detail."),
            (5, "Blood pressure finally under control."),
            (4, "Competent, a bit rushed at the end."),
            (5, "Explained the Holter results clearly."),
        ),
    ),
    DemoDoctor(
        key="iryna-bondarenko",
        full_name="Iryna Bondarenko",
        specialty="neurologist",
        clinic="kyiv-central",
        price="850.00",
        photo_url=_doctor_photo("iryna-bondarenko"),
        experience=(
            "10 years in neurology; previously at the Kyiv City Clinical "
            "Hospital No. 4 stroke unit."
        ),
        certificates=_lines(
            "Medical Diploma, Bogomolets National Medical University (2012)",
            "Specialist Certificate in Neurology, Shupyk National Healthcare "
            "University of Ukraine (2015)",
            "Fellow of the European Board of Neurology, FEBN (2019)",
        ),
        services=_lines(
            "Neurological consultation and examination",
            "Headache and migraine management",
            "Assessment of dizziness and vertigo",
            "Back pain and radiculopathy evaluation",
            "Review of brain and spine MRI findings",
        ),
        bio=(
            "Dr. Bondarenko specialises in headaches, migraine and dizziness. "
            "Her consultations include a full neurological examination, which "
            "is why she books one-hour slots."
        ),
        appointment_minutes=60,
        ratings=_r(
            (5, "She found the cause of my migraines."),
            (5, "Unhurried, detailed examination."),
            (4, "Helpful, but MRI had to be booked separately."),
            (5, "Clear plan for my back pain."),
            (5, "Professional and kind."),
            (4, "Good explanation of the MRI report."),
        ),
    ),
    DemoDoctor(
        key="taras-melnyk",
        full_name="Taras Melnyk",
        specialty="gastroenterologist",
        clinic="kyiv-central",
        price="850.00",
        photo_url=_doctor_photo("taras-melnyk"),
        experience=(
            "11 years in gastroenterology; previously at Kyiv Regional "
            "Clinical Hospital endoscopy department."
        ),
        certificates=_lines(
            "Medical Diploma, Bogomolets National Medical University (2011)",
            "Specialist Certificate in Gastroenterology, Shupyk National "
            "Healthcare University of Ukraine (2014)",
            "Fellow of the European Board of Gastroenterology and Hepatology, "
            "FEBGH (2020)",
        ),
        services=_lines(
            "Gastroenterology consultation",
            "Management of GERD and heartburn",
            "Irritable bowel syndrome assessment",
            "Helicobacter pylori testing and eradication therapy",
            "Endoscopy and colonoscopy referral and results review",
        ),
        bio=(
            "Dr. Melnyk treats reflux disease, gastritis and irritable bowel "
            "syndrome. He works closely with the endoscopy unit so that "
            "findings are discussed with patients on the same day."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Reflux treatment worked within two weeks."),
            (4, "Good doctor, clinic was busy."),
            (5, "Explained colonoscopy preparation step by step."),
        ),
    ),
    # --- lviv-center ------------------------------------------------------
    DemoDoctor(
        key="oksana-hnatyshyn",
        full_name="Oksana Hnatyshyn",
        specialty="dermatologist",
        clinic="lviv-center",
        price="700.00",
        photo_url=_doctor_photo("oksana-hnatyshyn"),
        experience=(
            "9 years in dermatology; previously at Lviv Regional "
            "Dermatovenerological Dispensary."
        ),
        certificates=_lines(
            "Medical Diploma, Danylo Halytsky Lviv National Medical "
            "University (2013)",
            "Specialist Certificate in Dermatovenereology, Danylo Halytsky "
            "Lviv National Medical University (2016)",
            "Dermoscopy Course Certificate, International Dermoscopy Society "
            "(2019)",
        ),
        services=_lines(
            "Dermatology consultation",
            "Mole check with dermoscopy",
            "Acne treatment plan",
            "Eczema and psoriasis management",
        ),
        bio=(
            "Dr. Hnatyshyn treats acne, eczema and psoriasis and performs "
            "dermoscopic mole checks for early skin cancer detection. She "
            "gives every patient a written skincare and treatment plan."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Careful mole check, felt reassured."),
            (5, "My acne improved a lot in three months."),
            (4, "Good advice, slightly late start."),
            (5, "Very knowledgeable about eczema."),
        ),
    ),
    DemoDoctor(
        key="roman-kravets",
        full_name="Roman Kravets",
        specialty="pediatrician",
        clinic="lviv-center",
        price="550.00",
        photo_url=_doctor_photo("roman-kravets"),
        experience=(
            "13 years in pediatrics; previously at the Western Ukrainian "
            "Specialized Children's Medical Center in Lviv."
        ),
        certificates=_lines(
            "Medical Diploma, Danylo Halytsky Lviv National Medical "
            "University (2010)",
            "Specialist Certificate in Pediatrics, Danylo Halytsky Lviv "
            "National Medical University (2012)",
            "Pediatric Advanced Life Support (PALS) Provider, American Heart "
            "Association (2022)",
        ),
        services=_lines(
            "Well-child check-up",
            "Growth and development assessment",
            "Vaccination schedule consultation",
            "Treatment of childhood infections",
        ),
        bio=(
            "Dr. Kravets cares for children from birth to 18 years. He is "
            "known for calm, child-friendly appointments and for explaining "
            "vaccination schedules to parents in plain language."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "My son was not scared at all."),
            (5, "Patient with all our questions."),
            (5, "Clear vaccination plan."),
            (4, "Great doctor, hard to get a slot."),
            (5, "Friendly and professional."),
        ),
    ),
    DemoDoctor(
        key="nataliia-savchuk",
        full_name="Nataliia Savchuk",
        specialty="gynecologist",
        clinic="lviv-center",
        price="800.00",
        photo_url=_doctor_photo("nataliia-savchuk"),
        experience=(
            "15 years in obstetrics and gynecology; previously at Lviv City "
            "Clinical Perinatal Center."
        ),
        certificates=_lines(
            "Medical Diploma, Danylo Halytsky Lviv National Medical "
            "University (2008)",
            "Specialist Certificate in Obstetrics and Gynecology, Danylo "
            "Halytsky Lviv National Medical University (2010)",
            "Certificate of Competence in the 11-13 Weeks Scan, Fetal "
            "Medicine Foundation (2017)",
        ),
        services=_lines(
            "Gynecological consultation and examination",
            "Cervical cancer screening (Pap smear)",
            "Pelvic ultrasound",
            "Contraception counselling",
            "Pregnancy planning consultation",
        ),
        bio=(
            "Dr. Savchuk provides routine gynecological care, cervical "
            "screening and pregnancy planning. She performs pelvic ultrasound "
            "during the visit when needed."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Gentle and very professional."),
            (4, "Good consultation, long queue at reception."),
            (5, "Explained everything about contraception options."),
        ),
    ),
    DemoDoctor(
        key="yurii-tkachuk",
        full_name="Yurii Tkachuk",
        specialty="orthopedist",
        clinic="lviv-center",
        price="800.00",
        photo_url=_doctor_photo("yurii-tkachuk"),
        experience=(
            "16 years in orthopedics and traumatology; previously at Lviv "
            "Emergency Hospital trauma department."
        ),
        certificates=_lines(
            "Medical Diploma, Danylo Halytsky Lviv National Medical "
            "University (2007)",
            "Specialist Certificate in Orthopedics and Traumatology, Danylo "
            "Halytsky Lviv National Medical University (2009)",
            "AO Trauma Course - Basic Principles of Fracture Management, "
            "AO Foundation (2012)",
        ),
        services=_lines(
            "Orthopedic consultation",
            "Knee and shoulder joint pain assessment",
            "Sports injury evaluation",
            "Intra-articular injections",
            "Flat feet and posture assessment",
        ),
        bio=(
            "Dr. Tkachuk treats joint pain, sports injuries and the "
            "consequences of fractures. He favours conservative treatment and "
            "rehabilitation before considering surgery."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Knee pain gone after the injection."),
            (4, "Knows sports injuries well."),
            (5, "Did not push me towards surgery."),
            (3, "Competent, but the appointment felt short."),
            (5, "Clear rehabilitation exercises."),
        ),
    ),
    # --- warsaw-mokotow ---------------------------------------------------
    DemoDoctor(
        key="katarzyna-nowak",
        full_name="Katarzyna Nowak",
        specialty="endocrinologist",
        clinic="warsaw-mokotow",
        price="850.00",
        photo_url=_doctor_photo("katarzyna-nowak"),
        experience=(
            "12 years in endocrinology; previously at the Endocrinology "
            "Department of the Medical University of Warsaw."
        ),
        certificates=_lines(
            "Medical Diploma, Medical University of Warsaw (2010)",
            "Specialist Title in Endocrinology, Centre of Postgraduate Medical "
            "Education, Warsaw (2016)",
            "Certificate in Thyroid Ultrasound, Polish Ultrasound Society "
            "(2018)",
        ),
        services=_lines(
            "Endocrinology consultation",
            "Thyroid disease diagnosis and treatment",
            "Thyroid ultrasound review",
            "Type 2 diabetes management",
            "Hormone test interpretation",
        ),
        bio=(
            "Dr. Nowak treats thyroid disorders, diabetes and other hormonal "
            "conditions. She combines laboratory results with thyroid "
            "ultrasound to tailor treatment to each patient."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Sorted out my thyroid medication dose."),
            (5, "Very precise and well organised."),
            (4, "Good doctor, lab results took a while."),
            (5, "Practical diabetes advice."),
        ),
    ),
    DemoDoctor(
        key="piotr-wisniewski",
        full_name="Piotr Wiśniewski",
        specialty="ophthalmologist",
        clinic="warsaw-mokotow",
        price="750.00",
        photo_url=_doctor_photo("piotr-wisniewski"),
        experience=(
            "14 years in ophthalmology; previously at the Ophthalmology "
            "Clinic of the Central Clinical Hospital in Warsaw."
        ),
        certificates=_lines(
            "Medical Diploma, Medical University of Warsaw (2008)",
            "Specialist Title in Ophthalmology, Centre of Postgraduate Medical "
            "Education, Warsaw (2014)",
            "Fellow of the European Board of Ophthalmology, FEBO (2015)",
        ),
        services=_lines(
            "Comprehensive eye examination",
            "Visual acuity testing and glasses prescription",
            "Intraocular pressure measurement (glaucoma screening)",
            "Fundus examination",
            "Dry eye syndrome treatment",
        ),
        bio=(
            "Dr. Wiśniewski performs comprehensive eye examinations and "
            "glaucoma screening. He also treats dry eye and prescribes "
            "glasses after careful refraction testing."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "New glasses prescription is perfect."),
            (4, "Thorough exam, eye drops took time to wear off."),
            (5, "Caught early glaucoma signs."),
        ),
    ),
    DemoDoctor(
        key="marek-kowalczyk",
        full_name="Marek Kowalczyk",
        specialty="cardiologist",
        clinic="warsaw-mokotow",
        price="950.00",
        photo_url=_doctor_photo("marek-kowalczyk"),
        experience=(
            "18 years in cardiology; previously at the National Institute of "
            "Cardiology in Warsaw-Anin."
        ),
        certificates=_lines(
            "Medical Diploma, Jagiellonian University Medical College (2004)",
            "Specialist Title in Cardiology, Centre of Postgraduate Medical "
            "Education, Warsaw (2011)",
            "Fellow of the European Society of Cardiology, FESC (2016)",
        ),
        services=_lines(
            "Extended cardiology consultation",
            "ECG interpretation",
            "Echocardiography review",
            "Heart failure management",
            "Cardiovascular risk assessment",
        ),
        bio=(
            "Dr. Kowalczyk focuses on heart failure and complex cardiovascular "
            "risk cases. His extended one-hour consultations include a "
            "review of all previous ECG and echocardiography results."
        ),
        appointment_minutes=60,
        ratings=_r(
            (5, "Took a full hour to review my history."),
            (5, "Excellent heart failure specialist."),
            (5, "Calm and reassuring."),
            (4, "Expensive but worth it."),
            (5, "Clear explanation of my echo."),
            (5, "Adjusted medication, feeling much better."),
            (4, "Very experienced, hard to book."),
        ),
    ),
    DemoDoctor(
        key="agnieszka-wojcik",
        full_name="Agnieszka Wójcik",
        specialty="therapist",
        clinic="warsaw-mokotow",
        price="650.00",
        photo_url=_doctor_photo("agnieszka-wojcik"),
        experience=(
            "8 years in family medicine; previously at a primary care "
            "practice in Warsaw-Ursynów."
        ),
        certificates=_lines(
            "Medical Diploma, Medical University of Warsaw (2014)",
            "Specialist Title in Family Medicine, Centre of Postgraduate "
            "Medical Education, Warsaw (2020)",
        ),
        services=_lines(
            "Initial consultation and physical examination",
            "Management of chronic conditions (hypertension, diabetes)",
            "Preventive health check-up",
            "Sick leave certificates and medical documentation",
        ),
        bio=(
            "Dr. Wójcik is a family physician who manages common chronic "
            "conditions and preventive check-ups. She consults in Polish, "
            "English and Ukrainian."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Speaks Ukrainian, which helped a lot."),
            (4, "Friendly and efficient."),
            (5, "Good follow-up on my blood pressure."),
            (4, "Helpful with paperwork."),
        ),
    ),
    # --- almaty-dostyk ----------------------------------------------------
    DemoDoctor(
        key="dmytro-lysenko",
        full_name="Dmytro Lysenko",
        specialty="otolaryngologist",
        clinic="almaty-dostyk",
        price="700.00",
        photo_url=_doctor_photo("dmytro-lysenko"),
        experience=(
            "11 years in otolaryngology; previously at Almaty City Clinical "
            "Hospital No. 7 ENT department."
        ),
        certificates=_lines(
            "Medical Diploma, Kharkiv National Medical University (2011)",
            "Specialist Certificate in Otorhinolaryngology, Shupyk National "
            "Healthcare University of Ukraine (2014)",
            "Certificate in Endoscopic Sinus Surgery, European Rhinologic "
            "Society course (2018)",
        ),
        services=_lines(
            "ENT consultation",
            "Nasal endoscopy",
            "Sinusitis treatment",
            "Ear wax removal and ear examination",
            "Tonsillitis and sore throat treatment",
        ),
        bio=(
            "Dr. Lysenko treats ear, nose and throat conditions, including "
            "chronic sinusitis and recurrent tonsillitis. He uses nasal "
            "endoscopy in the office to make an accurate diagnosis."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Quick relief for my blocked ear."),
            (4, "Good diagnosis of my sinusitis."),
            (5, "Gentle nasal endoscopy."),
            (4, "Professional, short wait."),
        ),
    ),
    DemoDoctor(
        key="serhii-moroz",
        full_name="Serhii Moroz",
        specialty="urologist",
        clinic="almaty-dostyk",
        price="800.00",
        photo_url=_doctor_photo("serhii-moroz"),
        experience=(
            "17 years in urology; previously at the urology department of "
            "Vinnytsia Regional Clinical Hospital."
        ),
        certificates=_lines(
            "Medical Diploma, Vinnytsia National Pirogov Memorial Medical "
            "University (2006)",
            "Specialist Certificate in Urology, Shupyk National Healthcare "
            "University of Ukraine (2008)",
            "Fellow of the European Board of Urology, FEBU (2013)",
        ),
        services=_lines(
            "Urology consultation",
            "Prostate examination and PSA interpretation",
            "Kidney and bladder ultrasound review",
            "Urinary tract infection treatment",
            "Kidney stone management",
        ),
        bio=(
            "Dr. Moroz treats prostate conditions, urinary tract infections "
            "and kidney stones. He places emphasis on early prostate cancer "
            "screening for men over 50."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Very discreet and professional."),
            (4, "Good explanation of PSA results."),
            (5, "Kidney stone plan worked well."),
        ),
    ),
    DemoDoctor(
        key="halyna-pavlenko",
        full_name="Halyna Pavlenko",
        specialty="pediatrician",
        clinic="almaty-dostyk",
        price="550.00",
        photo_url=_doctor_photo("halyna-pavlenko"),
        experience=(
            "20 years in pediatrics; previously at the Scientific Center of "
            "Pediatrics and Pediatric Surgery in Almaty."
        ),
        certificates=_lines(
            "Medical Diploma, Bogomolets National Medical University (2003)",
            "Specialist Certificate in Pediatrics, Shupyk National Healthcare "
            "University of Ukraine (2005)",
            "Certificate in Pediatric Allergology, Shupyk National Healthcare "
            "University of Ukraine (2012)",
        ),
        services=_lines(
            "Pediatric consultation",
            "Well-child check-up",
            "Childhood allergy assessment",
            "Treatment of fever and childhood infections",
        ),
        bio=(
            "Dr. Pavlenko has two decades of experience with children of all "
            "ages and a special interest in childhood allergies. Parents "
            "value her practical, step-by-step home care advice."
        ),
        appointment_minutes=30,
        ratings=_r(
            (5, "Very experienced and calm."),
            (5, "Helped with my daughter's food allergy."),
            (5, "Practical advice for fever at home."),
            (4, "Great doctor, busy schedule."),
            (5, "Kids love her."),
            (5, "Always on time."),
        ),
    ),
    DemoDoctor(
        key="viktoriia-shevchenko",
        full_name="Viktoriia Shevchenko",
        specialty="therapist",
        clinic="almaty-dostyk",
        price="550.00",
        photo_url=_doctor_photo("viktoriia-shevchenko"),
        experience=(
            "7 years in general practice; previously at a city polyclinic in "
            "Almaty."
        ),
        certificates=_lines(
            "Medical Diploma, Kharkiv National Medical University (2015)",
            "Specialist Certificate in General Practice - Family Medicine, "
            "Kharkiv National Medical University (2017)",
        ),
        services=_lines(
            "Initial consultation and physical examination",
            "Management of acute respiratory infections",
            "Preventive check-up and screening",
            "Interpretation of routine blood and urine tests",
        ),
        bio=(
            "Dr. Shevchenko is a general practitioner for adults with common "
            "acute and chronic complaints. She helps patients plan preventive "
            "screening and refers them to specialists when needed."
        ),
        appointment_minutes=30,
        ratings=_r(
            (4, "Friendly and efficient."),
            (5, "Clear explanation of my blood tests."),
            (4, "Good GP, small waiting area."),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Diagnostics (prices in UAH)
# ---------------------------------------------------------------------------


def _diag_photo(key: str) -> str:
    return f"{PHOTO_BASE_URL}/diagnostics/{key}.svg"


_ALL_CLINICS = ("kyiv-central", "lviv-center", "warsaw-mokotow", "almaty-dostyk")
_BIG_CLINICS = ("kyiv-central", "warsaw-mokotow")

DIAGNOSTICS: tuple[DemoDiagnostic, ...] = (
    DemoDiagnostic(
        key="mri",
        name="MRI",
        description=(
            "Magnetic resonance imaging uses a strong magnetic field and radio "
            "waves to produce detailed images of the brain, spine, joints and "
            "soft tissues without ionising radiation. Remove all metal objects "
            "and tell staff about any pacemaker, implants or claustrophobia; "
            "fasting is needed only for some abdominal studies."
        ),
        price="3200.00",
        photo_url=_diag_photo("mri"),
        duration_minutes=60,
        clinics=_BIG_CLINICS,
    ),
    DemoDiagnostic(
        key="ct",
        name="CT",
        description=(
            "Computed tomography combines a series of X-ray images into "
            "detailed cross-sectional views of bones, organs and blood vessels. "
            "If contrast is planned, do not eat for 4 hours beforehand and "
            "bring a recent creatinine (kidney function) result."
        ),
        price="2400.00",
        photo_url=_diag_photo("ct"),
        duration_minutes=30,
        clinics=_BIG_CLINICS,
    ),
    DemoDiagnostic(
        key="x-ray",
        name="X-ray",
        description=(
            "A quick, low-dose radiographic image used to assess bones, joints "
            "and the chest. No special preparation is needed; remove jewellery "
            "from the area being examined and tell staff if you may be "
            "pregnant."
        ),
        price="450.00",
        photo_url=_diag_photo("x-ray"),
        duration_minutes=10,
        clinics=_ALL_CLINICS,
    ),
    DemoDiagnostic(
        key="ultrasound",
        name="Ultrasound",
        description=(
            "Uses high-frequency sound waves to image abdominal and pelvic "
            "organs, the thyroid, soft tissues and blood flow without "
            "radiation. For abdominal scans fast for 6-8 hours; for pelvic "
            "scans arrive with a full bladder."
        ),
        price="700.00",
        photo_url=_diag_photo("ultrasound"),
        duration_minutes=30,
        clinics=_ALL_CLINICS,
    ),
    DemoDiagnostic(
        key="pet",
        name="PET",
        description=(
            "Positron emission tomography, usually combined with CT, uses a "
            "small dose of a radioactive glucose tracer to show metabolic "
            "activity, mainly for cancer staging and follow-up. Fast for at "
            "least 6 hours, avoid strenuous exercise for 24 hours beforehand "
            "and tell staff if you have diabetes."
        ),
        price="28000.00",
        photo_url=_diag_photo("pet"),
        duration_minutes=60,
        clinics=_BIG_CLINICS,
    ),
    DemoDiagnostic(
        key="blood-test",
        name="Blood test",
        description=(
            "Venous blood sampling for a complete blood count, biochemistry, "
            "hormones or other laboratory panels. For glucose and lipid tests "
            "fast for 8-12 hours (water is allowed) and come in the morning."
        ),
        price="350.00",
        photo_url=_diag_photo("blood-test"),
        duration_minutes=10,
        clinics=_ALL_CLINICS,
    ),
    DemoDiagnostic(
        key="urine-test",
        name="Urine test",
        description=(
            "General urinalysis checks the physical, chemical and microscopic "
            "properties of urine to screen for infection, kidney disease and "
            "diabetes. Collect a clean-catch midstream sample of the first "
            "morning urine in a sterile container."
        ),
        price="150.00",
        photo_url=_diag_photo("urine-test"),
        duration_minutes=10,
        clinics=_ALL_CLINICS,
    ),
    DemoDiagnostic(
        key="biopsy",
        name="Biopsy",
        description=(
            "Removal of a small tissue sample, usually under local anaesthesia "
            "and ultrasound guidance, for histological examination. Tell your "
            "doctor in advance about anticoagulant or antiplatelet medication, "
            "as it may need to be paused."
        ),
        price="2600.00",
        photo_url=_diag_photo("biopsy"),
        duration_minutes=60,
        clinics=("kyiv-central", "warsaw-mokotow"),
    ),
    DemoDiagnostic(
        key="ecg",
        name="ECG",
        description=(
            "A 12-lead electrocardiogram records the heart's electrical "
            "activity to detect rhythm disturbances, conduction problems and "
            "signs of ischaemia. No preparation is needed; avoid applying body "
            "lotion to the chest on the day of the test."
        ),
        price="300.00",
        photo_url=_diag_photo("ecg"),
        duration_minutes=15,
        clinics=_ALL_CLINICS,
    ),
    DemoDiagnostic(
        key="dexa",
        name="Bone density (DEXA)",
        description=(
            "Dual-energy X-ray absorptiometry measures bone mineral density at "
            "the hip and spine to diagnose osteoporosis and estimate fracture "
            "risk. Stop calcium supplements 24 hours before the scan and wear "
            "clothing without metal fasteners."
        ),
        price="900.00",
        photo_url=_diag_photo("dexa"),
        duration_minutes=20,
        clinics=("kyiv-central", "lviv-center", "almaty-dostyk"),
    ),
    DemoDiagnostic(
        key="endoscopy",
        name="Endoscopy",
        description=(
            "Upper gastrointestinal endoscopy (gastroscopy) uses a thin "
            "flexible camera to examine the oesophagus, stomach and duodenum, "
            "with biopsies taken if needed. Do not eat for 8 hours or drink "
            "for 4 hours beforehand, and arrange an escort home if sedated."
        ),
        price="1800.00",
        photo_url=_diag_photo("endoscopy"),
        duration_minutes=30,
        clinics=("kyiv-central", "lviv-center", "almaty-dostyk"),
    ),
    DemoDiagnostic(
        key="colonoscopy",
        name="Colonoscopy",
        description=(
            "A flexible camera examination of the entire large bowel to detect "
            "and remove polyps and to investigate bleeding or changed bowel "
            "habits. Follow a low-fibre diet for 2-3 days, take the prescribed "
            "bowel-preparation solution the day before and arrange an escort "
            "home if sedated."
        ),
        price="2800.00",
        photo_url=_diag_photo("colonoscopy"),
        duration_minutes=60,
        clinics=("kyiv-central", "lviv-center", "warsaw-mokotow"),
    ),
)


# ---------------------------------------------------------------------------
# Self-check (never called at import)
# ---------------------------------------------------------------------------

_EXPECTED_DIAGNOSTIC_NAMES = (
    "MRI",
    "CT",
    "X-ray",
    "Ultrasound",
    "PET",
    "Blood test",
    "Urine test",
    "Biopsy",
    "ECG",
    "Bone density (DEXA)",
    "Endoscopy",
    "Colonoscopy",
)
_BASE_DIAGNOSTICS = ("blood-test", "urine-test", "ecg", "x-ray", "ultrasound")
_BIG_DIAGNOSTICS = ("mri", "ct", "pet")


def _hour(value: str) -> int:
    """Parse a whole-hour "HH:MM" string; assert the minutes are :00."""
    assert isinstance(value, str) and len(value) == 5 and value[2] == ":", value
    hh, mm = value[:2], value[3:]
    assert hh.isdigit() and mm.isdigit(), value
    assert mm == "00", f"not a whole hour: {value}"
    hour = int(hh)
    assert 0 <= hour <= 23, value
    return hour


def _assert_price(value: str) -> None:
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - assertion path
        raise AssertionError(f"bad price {value!r}") from None
    assert amount > 0, value
    assert amount.as_tuple().exponent == -2, f"price needs 2 decimals: {value}"


def _assert_unique(keys: list[str], what: str) -> None:
    assert len(keys) == len(set(keys)), f"duplicate {what} keys"
    for key in keys:
        assert key and key == key.strip().lower() and " " not in key, key


def validate() -> None:
    """Assert every invariant of the demo catalog. Raises AssertionError."""
    from datetime import date
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    # --- keys -------------------------------------------------------------
    clinic_keys = [c.key for c in CLINICS]
    specialty_keys = [s.key for s in SPECIALTIES]
    doctor_keys = [d.key for d in DOCTORS]
    diagnostic_keys = [d.key for d in DIAGNOSTICS]
    _assert_unique(clinic_keys, "clinic")
    _assert_unique(specialty_keys, "specialty")
    _assert_unique(doctor_keys, "doctor")
    _assert_unique(diagnostic_keys, "diagnostic")

    # --- clinics and hours ------------------------------------------------
    assert len(CLINICS) >= 3
    zones = set()
    sunday_clinics = []
    for clinic in CLINICS:
        assert clinic.name and clinic.address
        try:
            ZoneInfo(clinic.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise AssertionError(f"unknown zone {clinic.timezone!r}") from None
        zones.add(clinic.timezone)
        days = [h.iso_weekday for h in clinic.hours]
        assert len(days) == len(set(days)), f"{clinic.key}: duplicate weekday"
        assert all(1 <= d <= 7 for d in days), clinic.key
        assert set(range(1, 7)) <= set(days), f"{clinic.key}: Mon-Sat expected"
        by_day = {h.iso_weekday: h for h in clinic.hours}
        for h in clinic.hours:
            opens, closes = _hour(h.opens), _hour(h.closes)
            assert opens < closes, (clinic.key, h)
            cursor = opens
            for start, end in h.breaks:
                b_start, b_end = _hour(start), _hour(end)
                assert cursor < b_start < b_end < closes, (clinic.key, h)
                cursor = b_end
        saturday = by_day[6]
        assert saturday.breaks == (), f"{clinic.key}: Saturday has no break"
        sat_len = _hour(saturday.closes) - _hour(saturday.opens)
        for day in range(1, 6):
            weekday = by_day[day]
            assert weekday.breaks == (("13:00", "14:00"),), (clinic.key, day)
            assert sat_len < _hour(weekday.closes) - _hour(weekday.opens)
        if 7 in by_day:
            sunday = by_day[7]
            assert (sunday.opens, sunday.closes, sunday.breaks) == (
                "10:00",
                "14:00",
                (),
            ), clinic.key
            sunday_clinics.append(clinic.key)
    assert len(zones) >= 2, "need at least two time zones"
    assert len(sunday_clinics) == 1, sunday_clinics
    assert len(sunday_clinics) * 2 < len(CLINICS), "most clinics closed Sunday"

    # --- closures ---------------------------------------------------------
    assert CLOSURES
    for closure in CLOSURES:
        assert closure.clinic in clinic_keys, closure
        for month, day in (closure.start, closure.end):
            try:
                date(2024, month, day)  # leap year: allows 29 Feb
            except ValueError:
                raise AssertionError(f"bad (month, day): {closure}") from None
        assert closure.reason

    # --- specialties ------------------------------------------------------
    assert len(SPECIALTIES) == 12
    assert all(s.name for s in SPECIALTIES)

    # --- doctors ----------------------------------------------------------
    assert 14 <= len(DOCTORS) <= 16, len(DOCTORS)
    for doc in DOCTORS:
        assert doc.full_name and doc.bio and doc.experience, doc.key
        assert doc.specialty in specialty_keys, doc.key
        assert doc.clinic in clinic_keys, doc.key
        _assert_price(doc.price)
        assert doc.photo_url == _doctor_photo(doc.key)
        assert doc.appointment_minutes in (30, 60), doc.key
        assert 60 % doc.appointment_minutes == 0, doc.key
        certs = doc.certificates.split("\n")
        assert 2 <= len(certs) <= 3 and all(c.strip() for c in certs), doc.key
        services = doc.services.split("\n")
        assert 3 <= len(services) <= 5, doc.key
        assert all(s.strip() for s in services), doc.key
        assert 3 <= len(doc.ratings) <= 8, doc.key
        for rating in doc.ratings:
            assert isinstance(rating.score, int) and 1 <= rating.score <= 5
            assert rating.comment.strip(), doc.key
    for key in specialty_keys:
        assert any(d.specialty == key for d in DOCTORS), f"no doctor: {key}"
    for key in clinic_keys:
        count = sum(1 for d in DOCTORS if d.clinic == key)
        assert count >= 4, f"{key}: only {count} doctors"

    # --- diagnostics ------------------------------------------------------
    assert len(DIAGNOSTICS) == 12
    assert sorted(d.name for d in DIAGNOSTICS) == sorted(_EXPECTED_DIAGNOSTIC_NAMES)
    for diag in DIAGNOSTICS:
        assert diag.description, diag.key
        _assert_price(diag.price)
        assert diag.photo_url == _diag_photo(diag.key)
        assert diag.duration_minutes in (10, 15, 20, 30, 60), diag.key
        assert 60 % diag.duration_minutes == 0, diag.key
        assert diag.clinics, diag.key
        assert len(diag.clinics) == len(set(diag.clinics)), diag.key
        assert all(c in clinic_keys for c in diag.clinics), diag.key
    by_key = {d.key: d for d in DIAGNOSTICS}
    for key in _BASE_DIAGNOSTICS:
        assert set(by_key[key].clinics) == set(clinic_keys), key
    big = [k for k in clinic_keys if k in by_key["mri"].clinics]
    assert big, "at least one big clinic offers MRI"
    for key in _BIG_DIAGNOSTICS:
        assert set(by_key[key].clinics) == set(big), key
    for clinic_key in clinic_keys:
        offered = sum(1 for d in DIAGNOSTICS if clinic_key in d.clinics)
        assert offered >= 6, f"{clinic_key}: only {offered} diagnostics"

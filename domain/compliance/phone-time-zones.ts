import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Countries whose whole territory keeps one clock, so a phone number's country is enough to
 * know the recipient's local time. Countries spanning several zones (US, CA, MX, BR, AU, RU,
 * ES with the Canaries, PT with the Azores, NZ with the Chatham Islands…) are left out on
 * purpose: guessing one of their zones could put a message in someone's night.
 */
export const singleTimeZoneCountries: Readonly<Record<string, string>> = {
  AE: 'Asia/Dubai',
  AT: 'Europe/Vienna',
  BB: 'America/Barbados',
  BE: 'Europe/Brussels',
  BG: 'Europe/Sofia',
  BS: 'America/Nassau',
  CH: 'Europe/Zurich',
  CO: 'America/Bogota',
  CR: 'America/Costa_Rica',
  CZ: 'Europe/Prague',
  DE: 'Europe/Berlin',
  DK: 'Europe/Copenhagen',
  DO: 'America/Santo_Domingo',
  EE: 'Europe/Tallinn',
  FI: 'Europe/Helsinki',
  FR: 'Europe/Paris',
  GB: 'Europe/London',
  GG: 'Europe/Guernsey',
  GR: 'Europe/Athens',
  GT: 'America/Guatemala',
  HK: 'Asia/Hong_Kong',
  HR: 'Europe/Zagreb',
  HU: 'Europe/Budapest',
  IE: 'Europe/Dublin',
  IL: 'Asia/Jerusalem',
  IM: 'Europe/Isle_of_Man',
  IN: 'Asia/Kolkata',
  IS: 'Atlantic/Reykjavik',
  IT: 'Europe/Rome',
  JE: 'Europe/Jersey',
  JM: 'America/Jamaica',
  JP: 'Asia/Tokyo',
  KR: 'Asia/Seoul',
  LT: 'Europe/Vilnius',
  LU: 'Europe/Luxembourg',
  LV: 'Europe/Riga',
  MT: 'Europe/Malta',
  NL: 'Europe/Amsterdam',
  NO: 'Europe/Oslo',
  PA: 'America/Panama',
  PE: 'America/Lima',
  PH: 'Asia/Manila',
  PL: 'Europe/Warsaw',
  PR: 'America/Puerto_Rico',
  RO: 'Europe/Bucharest',
  SE: 'Europe/Stockholm',
  SG: 'Asia/Singapore',
  SI: 'Europe/Ljubljana',
  SK: 'Europe/Bratislava',
  SV: 'America/El_Salvador',
  TH: 'Asia/Bangkok',
  TT: 'America/Port_of_Spain',
  TW: 'Asia/Taipei',
  ZA: 'Africa/Johannesburg',
};

/** The time zone of a phone number's country when that country has only one, else undefined. */
export function timeZoneFromPhone(phone: string): string | undefined {
  const country = parsePhoneNumberFromString(phone)?.country;
  return country ? singleTimeZoneCountries[country] : undefined;
}

// The events plugin's resident routes, typed here (they are not in the
// core's OpenAPI document): plugins/events/http.go "residents' own routes".
import { eventsGet } from './util'

export interface Signup {
  id: string
  activity_id: string
  resident_id: string
  name?: string
  status: 'pending' | 'confirmed' | 'waitlisted' | 'cancelled'
  position?: number
  signed_up_at_ms: number
  checked_in_at_ms?: number
  charged_fen?: number
}

export interface Activity {
  id: string
  title: string
  description: string
  location?: string
  /** the venue's name, when the activity is held at one */
  venue_name?: string
  start: string
  end: string
  signup_deadline: string
  capacity: number
  seats_left: number
  fee_fen: number
  state: string
  my_signups: Signup[]
}

export interface CheckinCode {
  signup_id: string
  activity_id: string
  token: string
  checked_in: boolean
  png: string
}

export async function myActivities(): Promise<Activity[]> {
  return (await eventsGet<{ items: Activity[] | null }>('/my/activities')).items ?? []
}

/** The live sign-up of an activity (not cancelled), if any. */
export function liveSignup(a: Activity): Signup | undefined {
  return a.my_signups.find((s) => s.status !== 'cancelled')
}

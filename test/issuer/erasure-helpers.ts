export { EnrollmentService, StatusService, parseNetworkNumber, serialKey } from '@maskid/issuer';
export { PersonEntity as PersonEntityForTests } from '@maskid/issuer/entities';

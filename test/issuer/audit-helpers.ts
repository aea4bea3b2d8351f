export { AuditEntity as AuditEntityForTests } from '@maskid/issuer/entities';

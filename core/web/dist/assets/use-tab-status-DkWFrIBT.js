import{z as s,C as l,l as u}from"./index-DAJB3JEZ.js";const e=Symbol(),o=Symbol(),n=()=>s(o,null),T=a=>{const t=n();l(e,a),l(o,u(()=>(t==null||t.value)&&a.value))};export{T as a,n as u};
